# Berth R layer: R and IRkernel from Debian on top of a Berth base image (base.Dockerfile or
# cuda.Dockerfile). --no-install-recommends keeps it to IRkernel's own dependencies (without it apt
# pulls in a few hundred MB of R packages).
ARG BASE_IMAGE=berth/base:latest
FROM ${BASE_IMAGE}

USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends r-base-core r-cran-irkernel \
 && rm -rf /var/lib/apt/lists/*
# Interrupts by message for R (IRkernel answers none): kernel-entrypoint.sh runs IRkernel behind it
# where the kernel cannot be signalled (BERTH_KERNEL_INTERRUPT=message, Kubernetes pods).
COPY r-control-bridge.py /usr/local/lib/berth/r-control-bridge.py
USER 1000:1000
