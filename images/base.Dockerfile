# Berth base image: Debian's Python 3 and ipykernel (from apt, never PyPI), tini as PID 1, the
# non-root user `berth` (uid 1000) and the kernel entrypoint. Build context: this directory.
#
# The default FROM is a minimal Debian made locally with `debootstrap --variant=minbase bookworm`
# and `docker import` (scripts/ensure-docker.mjs), so no registry is needed; any Debian or Ubuntu
# image works as BASE_IMAGE.
ARG BASE_IMAGE=berth/os-bookworm:latest
FROM ${BASE_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates passwd python3 python3-ipykernel tini \
 && rm -rf /var/lib/apt/lists/*

# uid 1000 is taken by a default user in some images (e.g. `ubuntu` in Ubuntu 24.04): remove it first.
RUN existing="$(getent passwd 1000 | cut -d: -f1)"; \
    if [ -n "$existing" ] && [ "$existing" != berth ]; then userdel -r "$existing" 2>/dev/null || userdel "$existing"; fi; \
    if ! getent group 1000 >/dev/null; then groupadd --gid 1000 berth; fi; \
    id berth >/dev/null 2>&1 || useradd --uid 1000 --gid 1000 --create-home --shell /bin/bash berth; \
    mkdir -p /opt/berth/resources && chown berth:1000 /opt/berth/resources

COPY kernel-entrypoint.sh /usr/local/bin/berth-kernel-entrypoint
RUN chmod 0755 /usr/local/bin/berth-kernel-entrypoint

ENV BERTH_KERNEL_LANGUAGE=python \
    BERTH_RESOURCES_DIR=/opt/berth/resources
USER 1000:1000
WORKDIR /home/berth
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/berth-kernel-entrypoint"]
