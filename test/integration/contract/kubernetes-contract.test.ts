// The provisioner contract (test/support/provisioner-contract.ts) on the Kubernetes backend: kernels
// in pods on the Kubernetes emulator (test/support/kube-emulator), from the contract's code env
// images (the Docker contract's, built on the shared base) named in the exec config's registry.
// What it leaves behind: pods and Secrets with the gateway's id label in the kernels' namespace.
import { rmSync } from 'node:fs';
import type { CoreV1Api } from '@kubernetes/client-node';
import Dockerode from 'dockerode';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { makeConfigDir } from '../../support/docker-code-env';
import { kubeExecConfig, tagIntoRegistry } from '../../support/kube-code-env';
import { start as startEmulator, type KubeEmulator } from '../../support/kube-emulator';
import { coreApi, gatewaySelector, kernelObjects, TEST_TIMINGS } from '../../support/kube-kernels';
import {
  buildContractImages,
  containerKernels,
  contractCodeEnvs,
  provisionerContract,
  type ContractGateway,
} from '../../support/provisioner-contract';
import { removeImageNames } from '../../support/test-images';

const EXEC_CONFIG = 'berth-test-contract-k8s';
const NAMESPACE = 'berth-contract';
/** A registry name only this file uses: nothing is pulled from it, the emulator finds its images on the local daemon. */
const REGISTRY = 'registry.berth.test/contract';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
let kube: KubeEmulator | undefined;
let core: CoreV1Api | undefined;
let configDir: string | undefined;
const registryTags: string[] = [];

provisionerContract({
  name: 'kubernetes',
  kernels: containerKernels(EXEC_CONFIG),
  launchTimeoutSeconds: 15,
  testTimeoutMs: 120_000,
  async setUp() {
    kube = await startEmulator({ timings: TEST_TIMINGS });
    core = coreApi(kube);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const base = await new ImageBuilder(docker).buildBase();
    const execConfig = kubeExecConfig(kube, { baseImage: base.ref, namespace: NAMESPACE, registry: REGISTRY });
    configDir = makeConfigDir('berth-contract-k8s', {
      execConfigs: { [EXEC_CONFIG]: execConfig },
      codeEnvs: contractCodeEnvs(EXEC_CONFIG),
    });
    for (const ref of await buildContractImages(configDir, EXEC_CONFIG)) registryTags.push(await tagIntoRegistry(docker, REGISTRY, ref));
    return { configDir };
  },
  async footprint(gateway: ContractGateway) {
    return kernelObjects(core!, NAMESPACE, gatewaySelector(gateway.id));
  },
  async tearDown() {
    // The emulator removes its pods' containers when it stops.
    await kube?.stop();
    await removeImageNames(docker, ...registryTags);
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  },
});
