# Berth CUDA base image: the NVIDIA CUDA runtime + cuDNN image of the chosen version, with the same
# Python kernel, tini, user and entrypoint as base.Dockerfile. The builder sets CUDA_IMAGE from
# --cuda-version (or --from). GPU execution is untested on Berth's CI machines (they have no GPU):
# only the rendering and a build against a locally tagged stand-in for the CUDA image are tested.
ARG CUDA_IMAGE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
FROM ${CUDA_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates passwd python3 python3-ipykernel tini \
 && rm -rf /var/lib/apt/lists/*

# uid 1000 is taken by `ubuntu` in the Ubuntu 24.04 based CUDA images: remove it first.
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
