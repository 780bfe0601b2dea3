/** The runner cannot be built from what the user gave (a missing field, an unreadable model, a folder that is not a model). */
export class RunnerConfigError extends Error {}
