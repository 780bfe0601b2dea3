/**
 * An error the user can fix (a bad flag, file, policy, config or store URL): the CLI prints its message without a
 * stack and exits 2. Subclasses say which kind; the CLI needs only this class to recognise them all.
 */
export class UserError extends Error {}
