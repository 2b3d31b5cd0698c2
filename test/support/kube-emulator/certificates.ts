// The emulator's TLS material, made with the openssl CLI like the repository's other test daemons: a
// self-signed CA (P-256) and a server certificate it signs for 127.0.0.1 and localhost (and the
// in-cluster names of the API server). OpenSSL 3's `req -x509 -CA` issues it in one step.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '2';

export interface Certificates {
  caPath: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir, timeout: 30_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} ${args[1]} failed: ${(err as Error).message}\n${stderr}`);
  }
}

/** Writes ca.pem, ca-key.pem, server.pem and server-key.pem into `dir` and reads back what the server needs. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    ...EC_KEY,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    DAYS,
    '-subj',
    '/CN=kube-emulator-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    ...EC_KEY,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-keyout',
    'server-key.pem',
    '-out',
    'server.pem',
    '-days',
    DAYS,
    '-subj',
    '/CN=kube-apiserver',
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext',
    'extendedKeyUsage=serverAuth',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
  ]);
  const [ca, cert, key] = await Promise.all(['ca.pem', 'server.pem', 'server-key.pem'].map((f) => readFile(join(dir, f))));
  return { caPath: join(dir, 'ca.pem'), ca, cert, key };
}
