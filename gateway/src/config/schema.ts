import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { authConfigSchema } from './auth-schema';

/**
 * The gateway's configuration. Every field is described; `berth serve --help` and the README
 * are written from these descriptions. Values come from defaults < config file < BERTH_* env < flags.
 */
export const kernelsConfigSchema = z
  .object({
    startupTimeoutSeconds: z.number().positive().default(60).describe('How long a kernel may take to answer kernel_info after launch'),
    shutdownGraceSeconds: z
      .number()
      .positive()
      .default(6)
      .describe('Grace period for shutdown_request, then SIGTERM (half each) before SIGKILL'),
    restartLimit: z
      .number()
      .int()
      .nonnegative()
      .default(5)
      .describe('Automatic restarts allowed within restartWindowSeconds after unexpected deaths'),
    restartWindowSeconds: z.number().positive().default(300).describe('Sliding window for restartLimit'),
    maxKernels: z.number().int().nonnegative().default(0).describe('Maximum kernels on this gateway (0: unlimited)'),
    maxKernelsPerUser: z.number().int().nonnegative().default(0).describe('Maximum kernels per user, by identity (0: unlimited)'),
    cullIdleTimeoutSeconds: z.number().nonnegative().default(0).describe('Shut down kernels idle longer than this (0: never)'),
    cullIntervalSeconds: z.number().positive().default(300).describe('How often to check for idle kernels'),
    cullConnected: z.boolean().default(false).describe('Also cull kernels with a WebSocket attached'),
    cullBusy: z.boolean().default(false).describe('Also cull kernels that are busy'),
    bufferMaxMessages: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Messages kept for a disconnected client session, for replay on reconnect'),
    bufferMaxBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe('Bytes kept for a disconnected client session'),
    keepKernelsOnStop: z.boolean().default(false).describe('Leave kernels running when the gateway stops, to reattach at next start'),
    portRangeMin: z
      .number()
      .int()
      .min(1024)
      .max(65535)
      .optional()
      .describe('Lowest port for local kernels (default: 12000 ports below the ephemeral range)'),
    portRangeMax: z.number().int().min(1024).max(65535).optional().describe('Highest port for local kernels'),
  })
  .strict();

export const runsConfigSchema = z
  .object({
    maxConcurrent: z
      .number()
      .int()
      .nonnegative()
      .default(4)
      .describe('Batch runs executing at once on this gateway (0: unlimited); the rest wait in the queue'),
    maxConcurrentPerUser: z.number().int().nonnegative().default(0).describe('Batch runs executing at once per user (0: unlimited)'),
    maxConcurrentPerExecConfig: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Batch runs executing at once per exec config (0: unlimited); exec config kernel quotas apply too'),
    maxRequestBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024)
      .describe('Largest POST /api/berth/runs body (the notebook or script and its input files, base64)'),
  })
  .strict();

export const gatewayConfigSchema = z
  .object({
    ip: z.string().min(1).default('127.0.0.1').describe('Address to listen on'),
    port: z.number().int().min(0).max(65535).default(8888).describe('Port to listen on (0: any free port)'),
    baseUrl: z
      .string()
      .default('/')
      .transform((value) => `/${value.replace(/^\/+|\/+$/g, '')}/`.replace('//', '/'))
      .describe('URL prefix of every endpoint'),
    token: z.string().optional().describe('Shared token (header or ?token=), the admin "default"; with no token nor auth: loopback only'),
    allowOrigin: z.string().optional().describe('Origin allowed for CORS and WebSockets ("*" for any)'),
    dataDir: z
      .string()
      .default(join(homedir(), '.local', 'share', 'berth'))
      .describe('Where the database, kernel connection files and logs live (created 0700)'),
    defaultKernelName: z.string().default('python3').describe('Kernelspec used when a request names none'),
    kernelspecDirs: z.array(z.string()).default([]).describe('Extra folders of kernelspecs, searched first'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe('Largest WebSocket frame a client may send'),
    configDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Configuration directory (berth.yaml, execution-configs/, code-envs/) loaded and validated at start; its objects are seeded into the store',
      ),
    defaultExecutionConfig: z
      .string()
      .min(1)
      .default('local')
      .describe(
        'Exec config of kernels started from a plain kernelspec (python3, ir) when neither a group default nor the request picks one',
      ),
    groupDefaults: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe('Default exec config per group (group → exec config id); overrides defaultExecutionConfig for members'),
    kernels: kernelsConfigSchema.default(() => kernelsConfigSchema.parse({})),
    runs: runsConfigSchema.default(() => runsConfigSchema.parse({})).describe('The batch run queue'),
    auth: authConfigSchema.default(() => authConfigSchema.parse({})).describe('Users, groups, admins and the auth proxy'),
  })
  .strict();

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
