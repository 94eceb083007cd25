// The public ops, re-exported from their families.
export * from './elementwise.js';
export * from './reduce.js';
export * from './movement.js';
