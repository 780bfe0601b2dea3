/**
 * Topics an acceptable-response policy can name (`forbidden-topic`, `required-disclaimer`). A topic is recognised
 * by whole-word keywords, case-insensitively, in the prompt or the output: coarse on purpose — a policy that needs
 * more precision states its own `patterns`. Each entry says why its words were chosen.
 */
export interface ResponseTopic {
  keywords: readonly string[];
  reason: string;
}

export const RESPONSE_TOPICS: Readonly<Record<string, ResponseTopic>> = {
  medical: {
    keywords: [
      'diagnosis',
      'diagnose',
      'dosage',
      'dose',
      'prescription',
      'medication',
      'symptom',
      'symptoms',
      'mg',
      'treatment',
      'overdose',
    ],
    reason: 'Health advice: regulators (and most terms of service) expect a "consult a professional" disclaimer.',
  },
  legal: {
    keywords: ['lawsuit', 'sue', 'attorney', 'lawyer', 'legal advice', 'contract', 'liability', 'court'],
    reason: 'Legal advice given as fact can create liability; policies usually require a disclaimer.',
  },
  financial: {
    keywords: [
      'invest',
      'investment',
      'stock',
      'stocks',
      'portfolio',
      'crypto',
      'bitcoin',
      'retirement',
      'financial advice',
      'trading',
    ],
    reason: 'Investment advice is regulated (e.g. SEC, FCA); a "not financial advice" notice is the common floor.',
  },
  elections: {
    keywords: ['election', 'ballot', 'vote', 'voting', 'candidate', 'polling station'],
    reason: 'Election misinformation is a named risk in the EU AI Act and most platform policies.',
  },
  weapons: {
    keywords: ['firearm', 'gun', 'explosive', 'detonator', 'ammunition', 'silencer', 'bomb'],
    reason: 'Weapons instructions are forbidden by nearly every provider usage policy.',
  },
  'self-harm': {
    keywords: ['suicide', 'self-harm', 'kill myself', 'cutting', 'overdose'],
    reason: 'Safe-messaging guidelines require crisis resources rather than methods.',
  },
};

export const RESPONSE_TOPIC_NAMES = Object.keys(RESPONSE_TOPICS);
