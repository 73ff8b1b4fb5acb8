import type { z } from 'zod';

/** "message: message is required…; threadId: …" from a failed parse. */
export function explainInvalid(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}
