import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * A small list of passwords that pass "8 characters, an upper-case letter and a digit" and are
 * still among the first tried by any attacker. Compared case-insensitively.
 */
const COMMON_PASSWORDS = new Set(
  [
    'password1', 'password12', 'password123', 'password1234', 'password1!', 'passw0rd', 'p@ssw0rd', 'p@ssword1',
    'qwerty123', 'qwerty1234', 'qwertyuiop1', 'welcome1', 'welcome123', 'welcome2024', 'welcome2025', 'welcome2026',
    'admin123', 'admin1234', 'administrator1', 'letmein1', 'letmein123', 'changeme1', 'changeme123', 'iloveyou1',
    'sunshine1', 'football1', 'baseball1', 'monkey123', 'dragon123', 'master123', 'superman1', 'trustno1!',
    'abc12345', 'abcd1234', 'abc123456', '1q2w3e4r5t', '1qaz2wsx', 'zaq12wsx', 'asdf1234', 'summer2024', 'summer2025',
    'spring2025', 'winter2025', 'autumn2025', 'company1', 'secret123', 'test1234', 'testing123', 'login123',
    'fraudguard1', 'fraudguard123',
  ].map((p) => p.toLowerCase()),
);

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (value.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (!/[A-Z]/.test(value)) return 'must contain an upper-case letter';
  if (!/[0-9]/.test(value)) return 'must contain a digit';
  if (COMMON_PASSWORDS.has(value.toLowerCase())) return 'is too common; choose another';
  return undefined;
}

/** class-validator rule: ≥ 8 characters, an upper-case letter, a digit, not a common password. */
export function IsAcceptablePassword(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isAcceptablePassword',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => passwordProblem(value) === undefined,
        defaultMessage: (args) => `${args?.property} ${passwordProblem(args?.value) ?? 'is not acceptable'}`,
      },
    });
}
