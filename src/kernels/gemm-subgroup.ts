// The subgroup GEMM schedule (see gemm.ts for when it runs): one subgroup of SUBGROUP_LANES
// lanes computes a tile, and every element of A and B is read from storage by one lane only,
// then handed to the lanes that need it with subgroupBroadcast.

import { type GemmSpec, type GemmVec4Reads, header, storeRow, tileEntry } from './gemm-wgsl.js';

/** Subgroup: a workgroup is one subgroup of SUBGROUP_LANES lanes (lavapipe's 256-bit SIMD
 * vector). Wide outputs: the lanes own columns (LANE_COLS each, lane-strided) and share
 * PANEL_ROWS rows of A, each lane reading PANEL_ROWS / 8 of them and handing them to the
 * others with subgroupBroadcast. Narrow outputs (N ≤ 16): the roles swap, the lanes own
 * NARROW_LANE_ROWS rows each and share a panel of 8 columns of B (N = 16 is two tiles).
 * One shape per orientation keeps the pipelines few: each costs 0.2-1 s of LLVM on lavapipe
 * at its first dispatch, about in proportion to the reads and FMAs it unrolls. Wide: 16×2
 * per lane compiles in a third of 16×4's time and runs ~25% slower (big products take the
 * vec4 case). Narrow: 4 rows per lane ran LeNet's step as fast as 8 and compiled its first
 * step in 3.1 instead of 4.8 CPU-seconds; 2 rows compiled in 2.4 but ran 12% slower. */
export const SUBGROUP_LANES = 8;
const PANEL_ROWS = 16;
const LANE_COLS = 2;
const NARROW_PANEL_MAX = 16;
const NARROW_PANEL = 8;
const NARROW_LANE_ROWS = 4;

// One subgroup of 8 lanes computes a tile. Wide outputs: lane l owns the columns
// col0 + l + 8·j (j < LANE_COLS) of PANEL_ROWS rows; per step of k each lane reads its own
// B elements and one A element of PANEL_ROWS / 8 rows, and subgroupBroadcast hands every A
// element to all lanes. Narrow outputs: lane l owns the rows row0 + l + 8·i and the lanes
// share the panel's columns of B the same way. Every element is read from storage by one
// lane only: on a CPU adapter each lane's read is a scalar load (there is no vector load for
// a loop's storage reads), so reading each element once is what makes this schedule fast.
function subgroupWgsl(spec: GemmSpec, shape: SubgroupShape): string {
  const [r1, r2] = spec.kRadices;
  const wide = shape.lanesOwn === 'columns';
  const own = [...Array(wide ? shape.cols : shape.rows).keys()]; // what each lane owns
  const panel = [...Array(shape.panel / SUBGROUP_LANES).keys()]; // the shared panel's reads
  const shared = [...Array(shape.panel).keys()];
  const lines = (over: number[], f: (i: number) => string, join = '\n  ') => over.map(f).join(join);
  const fmas = wide
    ? lines(shared, (i) => `{ let x = subgroupBroadcast(p${i >> 3}, ${i & 7}u); ${lines(own, (j) => `acc${i}[${j}] = fma(x, y${j}, acc${i}[${j}]);`, ' ')} }`, '\n    ')
    : lines(shared, (j) => `{ let y = subgroupBroadcast(p${j >> 3}, ${j & 7}u); ${lines(own, (i) => `acc${i}[${j}] = fma(x${i}, y, acc${i}[${j}]);`, ' ')} }`, '\n    ');
  return /* wgsl */ `enable subgroups;
${header(spec)}
${wide ? storeRow(shape.cols, SUBGROUP_LANES, `array<f32, ${shape.cols}>`) : storeRow(shape.panel, 1, `array<f32, ${shape.panel}>`)}
${tileEntry(`${SUBGROUP_LANES}`, 'uniform: the subgroup stays whole for its broadcasts')}
  ${
    wide
      ? `let row0 = w.row * ${shape.panel}u;
  let col0 = w.col * ${SUBGROUP_LANES * shape.cols}u + lid.x;
  ${lines(panel, (g) => `let a${g} = rowA(batch, min(row0 + ${SUBGROUP_LANES * g}u + lid.x, u.M - 1u));`, ' ')}
  ${lines(own, (j) => `let c${j} = min(col0 + ${SUBGROUP_LANES * j}u, u.N - 1u);`, ' ')}
  ${lines(shared, (i) => `var acc${i}: array<f32, ${shape.cols}>;`, ' ')}`
      : `let row0 = w.row * ${SUBGROUP_LANES * shape.rows}u + lid.x;
  ${lines(own, (i) => `let a${i} = rowA(batch, min(row0 + ${SUBGROUP_LANES * i}u, u.M - 1u));`, ' ')}
  ${lines(panel, (g) => `let c${g} = min(w.col * ${shape.panel}u + ${SUBGROUP_LANES * g}u + lid.x, u.N - 1u);`, ' ')}
  ${lines(own, (i) => `var acc${i}: array<f32, ${shape.panel}>;`, ' ')}`
  }
  var d = digits(w.kBegin);
  for (var k = w.kBegin; k < w.kEnd; k++) {
    ${
      wide
        ? `${lines(panel, (g) => `let p${g} = loadA(a${g}, k, d);`, ' ')}
    ${lines(own, (j) => `let y${j} = loadB(batch, k, d, c${j});`, ' ')}`
        : `${lines(own, (i) => `let x${i} = loadA(a${i}, k, d);`, ' ')}
    ${lines(panel, (g) => `let p${g} = loadB(batch, k, d, c${g});`, ' ')}`
    }
    ${fmas}
    d.z += 1u;
    if (d.z == ${r2}) { d.z = 0u; d.y += 1u; if (d.y == ${r1}) { d.y = 0u; d.x += 1u; } }
  }
  ${wide ? lines(shared, (i) => `storeRow(w.base, row0 + ${i}u, col0, acc${i});`) : lines(own, (i) => `storeRow(w.base, row0 + ${SUBGROUP_LANES * i}u, w.col * ${shape.panel}u, acc${i});`)}
}`;
}

/** The subgroup schedule's shape: who owns what, the shared panel's size (rows of A for
 * wide outputs, columns of B for narrow ones) and what each lane owns besides. */
interface SubgroupShape {
  lanesOwn: 'columns' | 'rows';
  panel: number;
  rows: number;
  cols: number;
}

function subgroupShape(n: number): SubgroupShape {
  if (n > NARROW_PANEL_MAX) return { lanesOwn: 'columns', panel: PANEL_ROWS, rows: 1, cols: LANE_COLS };
  return { lanesOwn: 'rows', panel: NARROW_PANEL, rows: NARROW_LANE_ROWS, cols: 1 };
}

// The wide case with vec4 reads (matmul, sizes divisible by 4): per step of 4 along k each
// lane reads two vec4s of the A panel and four vec4s of B, and owns 4 columns (contiguous
// when B is read along its rows, lane-strided when B is read transposed) of the 16 rows.
// The same reads as the scalar schedule, a quarter as many read instructions; it compiles
// about twice as long, so only products of at least VEC4_MIN_PRODUCT multiply-adds use it.
function subgroupVec4Wgsl(spec: GemmSpec, reads: GemmVec4Reads): string {
  const rows = [...Array(VEC4_ROWS).keys()];
  const kks = [0, 1, 2, 3];
  const c = 'xyzw';
  const [aReads, aValue] = spec.aAlongK
    ? [`let pa0 = loadA4(a0, k); let pa1 = loadA4(a1, k);`, (i: number, kk: number) => `xa${i}.${c[kk]}`]
    : [`let pa0 = loadA4(a0, k + lid.x / 4u); let pa1 = loadA4(a0, k + 2u + lid.x / 4u);`, (i: number, kk: number) => `subgroupBroadcast(pa${kk >> 1}.${c[i & 3]}, ${(i >> 2) + 4 * (kk & 1)}u)`];
  const bReads = spec.bAlongK
    ? `${kks.map((j) => `let q${j} = loadB4(batch, k, c${j});`).join(' ')}\n    ${kks.map((kk) => `let b${kk} = vec4<f32>(q0.${c[kk]}, q1.${c[kk]}, q2.${c[kk]}, q3.${c[kk]});`).join(' ')}`
    : kks.map((kk) => `let b${kk} = loadB4(batch, k + ${kk}u, c0);`).join(' ');
  const fmas = rows.map((i) => `${spec.aAlongK ? `let xa${i} = subgroupBroadcast(pa${i >> 3}, ${i & 7}u); ` : ''}acc${i} = ${kks.map((kk) => `${aValue(i, kk)} * b${kk}`).join(' + ')} + acc${i};`);
  return /* wgsl */ `enable subgroups;
${header({ ...spec, inputs: reads.inputs, loads: reads.loads })}
${storeRow(4, spec.bAlongK ? SUBGROUP_LANES : 1, 'vec4<f32>')}
${tileEntry(`${SUBGROUP_LANES}`, 'uniform: the subgroup stays whole for its broadcasts')}
  let row0 = w.row * ${VEC4_ROWS}u;
  ${spec.aAlongK ? `let a0 = rowA4(batch, min(row0 + lid.x, u.M - 1u)); let a1 = rowA4(batch, min(row0 + 8u + lid.x, u.M - 1u));` : `let a0 = rowA4(batch, min(row0 + 4u * (lid.x % 4u), u.M - 4u)); // a quad of rows`}
  ${spec.bAlongK ? kks.map((j) => `let c${j} = min(w.col * 32u + lid.x + ${8 * j}u, u.N - 1u);`).join(' ') : `let c0 = min(w.col * 32u + 4u * lid.x, u.N - 4u); // 4 columns`}
  ${rows.map((i) => `var acc${i} = vec4<f32>(0.0);`).join(' ')}
  for (var k = w.kBegin; k < w.kEnd; k += 4u) {
    ${aReads}
    ${bReads}
    ${fmas.join('\n    ')}
  }
  ${rows.map((i) => `storeRow(w.base, row0 + ${i}u, w.col * 32u + ${spec.bAlongK ? 'lid.x' : '4u * lid.x'}, acc${i});`).join('\n  ')}
}`;
}

/** Rows per tile of the vec4 case (its tile is VEC4_ROWS × 32). */
const VEC4_ROWS = 16;
/** The vec4 case's compile time (~2× the scalar one's on lavapipe) pays off on big products
 * only: a 128×512×256 matmul and up (the MLP's), not LeNet's dense layers. */
const VEC4_MIN_PRODUCT = 2 ** 24;

/** True when the vec4 reads apply: the family has them, the output is wide, the product is
 * big, and every dimension read four at a time is a multiple of 4. */
export function usesVec4(spec: GemmSpec, m: number, n: number, k: number): boolean {
  if (!spec.vec4 || n <= NARROW_PANEL_MAX || m * n * k < VEC4_MIN_PRODUCT || k % 4 !== 0) return false;
  return (spec.aAlongK || m % 4 === 0) && (spec.bAlongK || n % 4 === 0);
}

/** [tile rows, tile columns, key suffix, WGSL] of the subgroup schedule for an m×k by k×n product. */
export function subgroupSchedule(spec: GemmSpec, m: number, n: number, k: number): [number, number, string, () => string] {
  if (usesVec4(spec, m, n, k)) return [VEC4_ROWS, 32, `subgroup/vec4/${VEC4_ROWS}x32`, () => subgroupVec4Wgsl(spec, spec.vec4!)];
  const s = subgroupShape(n);
  const tile: [number, number] = s.lanesOwn === 'columns' ? [s.panel, SUBGROUP_LANES * s.cols] : [SUBGROUP_LANES * s.rows, s.panel];
  return [...tile, `subgroup/${s.lanesOwn}/${tile[0]}x${tile[1]}`, () => subgroupWgsl(spec, s)];
}
