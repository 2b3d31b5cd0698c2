import { z } from 'zod';

/** DNS label: lower-case letters, digits and `-`, at most 63 characters, no `-` at either end. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Ids of exec configs and code envs. They become parts of kernelspec names
 * (`<code-env>--<exec-config>`), image tags, container names and Kubernetes labels, so they are
 * DNS labels; `--` is reserved as the separator, or a kernelspec name could be split two ways.
 */
export const configIdSchema = z
  .string()
  .regex(DNS_LABEL, {
    message: 'must be a DNS label: lower-case letters, digits and "-", 1–63 characters, starting and ending with a letter or digit',
  })
  .refine((value) => !DNS_LABEL.test(value) || !value.includes('--'), {
    // Checked only for otherwise valid ids, so a bad id gets one message.
    message: 'must not contain "--": it separates the code env and the exec config in kernelspec names',
  });
