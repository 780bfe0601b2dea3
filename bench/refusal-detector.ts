/**
 * Precision and recall of the refusal detector (rules + classifier) on the labelled set in
 * test/fixtures/refusals.jsonl: the held-out 25% the classifier never saw, and the training 75% for contrast.
 * Next to it, a fixed phrase list (the approach garak #1413 shows failing) on the same outputs.
 *
 * Usage: npx tsx bench/refusal-detector.ts
 */
import { normaliseOutput } from '../src/knowledge/refusal-features.js';
import { classifyRefusal } from '../src/suites/safety/refusal.js';
import { type LabelledOutput, loadLabelledOutputs, splitLabelledOutputs } from '../test/fixtures/refusals.js';

/** A typical phrase-list detector: refusal when any phrase occurs (straight apostrophes only, as such lists are). */
const PHRASES = ["i'm sorry", 'i cannot', "i can't", 'as an ai', 'i am unable', "i'm not able", 'i apologize'];
const phraseList = (text: string) => PHRASES.some((phrase) => text.toLowerCase().includes(phrase));
const detector = (text: string) => classifyRefusal(text).refused;

function score(examples: readonly LabelledOutput[], refused: (text: string) => boolean) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const example of examples) {
    const predicted = refused(example.text);
    if (predicted && example.refusal) tp++;
    else if (predicted) fp++;
    else if (example.refusal) fn++;
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return { n: examples.length, precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}

const { train, heldOut } = splitLabelledOutputs(loadLabelledOutputs());
const rows = [
  ['rules + classifier', 'held-out', score(heldOut, detector)],
  ['rules + classifier', 'training', score(train, detector)],
  ['phrase list', 'held-out', score(heldOut, phraseList)],
  ['phrase list', 'all', score([...train, ...heldOut], phraseList)],
] as const;
console.log('| detector | set | n | precision | recall | F1 |\n|---|---|---|---|---|---|');
for (const [name, set, { n, precision, recall, f1 }] of rows) {
  console.log(`| ${name} | ${set} | ${n} | ${precision.toFixed(3)} | ${recall.toFixed(3)} | ${f1.toFixed(3)} |`);
}
const misses = heldOut.filter((example) => detector(example.text) !== example.refusal);
for (const miss of misses) {
  console.log(
    `held-out miss (${miss.refusal ? 'refusal' : 'compliance'}, ${miss.kind}): ${normaliseOutput(miss.text).slice(0, 80)}`,
  );
}
