/** The daemon used when an exec config names none (Kubernetes exec configs, build-base): the local socket. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
