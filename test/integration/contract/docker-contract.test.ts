// The provisioner contract (test/support/provisioner-contract.ts) on the Docker backend: kernels in
// containers on the local Docker Engine (host network), from the contract's code env images built
// on the shared base (berth/base:<hash>). What it leaves behind: containers with the gateway's id
// label. The images stay as a cache (keyed by content hash) for the next run and the Kubernetes
// contract file.
import { rmSync } from 'node:fs';
import Dockerode from 'dockerode';
import { LABELS } from '../../../gateway/src/common/labels';
import { ImageBuilder } from '../../../gateway/src/images/image-builder';
import { makeConfigDir } from '../../support/docker-code-env';
import {
  buildContractImages,
  containerKernels,
  contractCodeEnvs,
  provisionerContract,
  type ContractGateway,
} from '../../support/provisioner-contract';

const EXEC_CONFIG = 'berth-test-contract-docker';
const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
let configDir: string | undefined;

function gatewayContainers(gateway: ContractGateway): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.gatewayId}=${gateway.id}`] }) });
}

provisionerContract({
  name: 'docker',
  kernels: containerKernels(EXEC_CONFIG),
  launchTimeoutSeconds: 15,
  testTimeoutMs: 120_000,
  async setUp() {
    const base = await new ImageBuilder(docker).buildBase();
    const execConfig = {
      backend: 'docker',
      baseImage: base.ref,
      docker: { network: 'host', daemons: [{ host: 'unix:///var/run/docker.sock' }] },
    };
    configDir = makeConfigDir('berth-contract-docker', {
      execConfigs: { [EXEC_CONFIG]: execConfig },
      codeEnvs: contractCodeEnvs(EXEC_CONFIG),
    });
    await buildContractImages(configDir, EXEC_CONFIG);
    return { configDir };
  },
  async footprint(gateway: ContractGateway) {
    const containers = await gatewayContainers(gateway);
    return containers.map((c) => `container ${c.Names.join(',')} of kernel ${c.Labels[LABELS.kernelId]} (${c.State})`).sort();
  },
  async tearDown(gateway: ContractGateway | undefined) {
    for (const container of gateway === undefined ? [] : await gatewayContainers(gateway)) {
      await docker.getContainer(container.Id).remove({ force: true });
    }
    if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  },
});
