// A synthetic acceptability task standing in for CoLA (which cannot be downloaded here):
// English-like sentences from a tiny grammar, labelled 1 when the verb agrees in number
// with the subject's head noun and 0 when it does not.
//
//   the old dog near the cats sleeps quietly     1   (head "dog" is singular, "sleeps" too)
//   the old dog near the cats sleep quietly      0   ("cats" is an attractor, not the head)
//   the children sings                           0
//
// Sentence = the [adjective] noun [preposition the [adjective] noun] verb [adverb].
// Half the sentences hold a prepositional phrase whose noun has the other number, so
// the bag of words alone cannot tell agreement from an attractor: the model has to use
// word order (position embeddings and attention). Generated from a seed, so every run
// sees the same sentences; labels are balanced (each sentence picks agreeing or not with
// probability ½). Tokens are word ids, 0 is padding, sentences padded to SEQUENCE_LENGTH.

import { Random } from '../../src/random.js';

export const NOUNS: [string, string][] = [
  ['dog', 'dogs'], ['cat', 'cats'], ['bird', 'birds'], ['child', 'children'], ['teacher', 'teachers'],
  ['farmer', 'farmers'], ['robot', 'robots'], ['student', 'students'], ['mouse', 'mice'], ['woman', 'women'],
];
export const VERBS: [string, string][] = [
  ['runs', 'run'], ['sleeps', 'sleep'], ['sings', 'sing'], ['waits', 'wait'], ['laughs', 'laugh'],
  ['is here', 'are here'], ['was late', 'were late'], ['has left', 'have left'], ['eats', 'eat'], ['jumps', 'jump'],
];
const ADJECTIVES = ['old', 'small', 'happy', 'green', 'quiet', 'tired'];
const PREPOSITIONS = ['near', 'behind', 'with', 'beside', 'under'];
const ADVERBS = ['quickly', 'today', 'again', 'loudly', 'quietly'];

/** The longest sentence: the adj noun prep the adj noun verb(2 words) adverb = 10 words. */
export const SEQUENCE_LENGTH = 10;

/** Word ↔ id; id 0 is padding. */
export const VOCABULARY: readonly string[] = [
  '<pad>',
  ...new Set(['the', ...NOUNS.flat(), ...VERBS.flatMap((v) => v.flatMap((w) => w.split(' '))), ...ADJECTIVES, ...PREPOSITIONS, ...ADVERBS]),
];
const ID = new Map(VOCABULARY.map((w, i) => [w, i]));

export interface AgreementSentence {
  words: string[];
  /** 1: the verb agrees with the subject's head noun; 0: it does not. */
  label: number;
}

/** One sentence from the grammar. */
export function makeSentence(random: Random): AgreementSentence {
  const pick = <T>(list: readonly T[]): T => list[random.int(list.length)]!;
  const plural = random.int(2); // 0 singular, 1 plural head noun
  const label = random.int(2);
  const words = ['the'];
  if (random.next() < 0.5) words.push(pick(ADJECTIVES));
  words.push(pick(NOUNS)[plural]!);
  if (random.next() < 0.5) {
    words.push(pick(PREPOSITIONS), 'the');
    if (random.next() < 0.5) words.push(pick(ADJECTIVES));
    words.push(pick(NOUNS)[1 - plural]!); // an attractor of the other number
  }
  const verbNumber = label === 1 ? plural : 1 - plural;
  words.push(...pick(VERBS)[verbNumber]!.split(' '));
  if (random.next() < 0.5) words.push(pick(ADVERBS));
  return { words, label };
}

/** Word ids, padded with 0 to SEQUENCE_LENGTH. */
export function encode(words: readonly string[]): Int32Array {
  const ids = new Int32Array(SEQUENCE_LENGTH);
  words.forEach((w, i) => (ids[i] = ID.get(w)!));
  return ids;
}

/** `count` sentences from `seed`: tokens [count × SEQUENCE_LENGTH] and float 0/1 labels. */
export function agreementDataset(count: number, seed: number): { tokens: Int32Array; labels: Float32Array; sentences: AgreementSentence[] } {
  const random = new Random(seed);
  const tokens = new Int32Array(count * SEQUENCE_LENGTH);
  const labels = new Float32Array(count);
  const sentences: AgreementSentence[] = [];
  for (let i = 0; i < count; i++) {
    const sentence = makeSentence(random);
    tokens.set(encode(sentence.words), i * SEQUENCE_LENGTH);
    labels[i] = sentence.label;
    sentences.push(sentence);
  }
  return { tokens, labels, sentences };
}
