# Berth code-env image: one code env's packages and resources on top of a Berth base image.
# The builder (gateway/src/images/dockerfile.ts) sets the ARG defaults below and fills the
# generated berth-build/ folder of the build context:
#
#   berth-build/requirements.txt    pip requirement lines (empty: no pip step)
#   berth-build/wheelhouse/         local wheels; then PIP_OPTIONS is --no-index --find-links to it
#   berth-build/r-packages.txt      R packages, one a line (empty: no R step)
#   berth-resources/                the folder copied in (resources mode "copy"; else empty)
#   berth-build/resources-init.sh   the script run in the resources folder (mode "init-script")
ARG BASE_IMAGE=berth/base:latest
FROM ${BASE_IMAGE}

ARG APT_PACKAGES=""
ARG PIP_OPTIONS=""
ARG CRAN_REPO=https://cloud.r-project.org
ARG RESOURCES_MODE=none
ARG KERNEL_LANGUAGE=python

USER root

RUN if [ -n "$APT_PACKAGES" ]; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $APT_PACKAGES \
      && rm -rf /var/lib/apt/lists/*; \
    fi

COPY berth-build/ /opt/berth/build/

# pip into the image's system Python (Debian marks it externally managed; an image is ours to manage).
RUN if [ -s /opt/berth/build/requirements.txt ]; then \
      if ! /usr/bin/python3 -m pip --version >/dev/null 2>&1; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-pip \
        && rm -rf /var/lib/apt/lists/*; \
      fi \
      && PIP_BREAK_SYSTEM_PACKAGES=1 /usr/bin/python3 -m pip install --no-cache-dir --disable-pip-version-check \
           $PIP_OPTIONS -r /opt/berth/build/requirements.txt; \
    fi

RUN if [ -s /opt/berth/build/r-packages.txt ]; then \
      Rscript -e 'p <- readLines("/opt/berth/build/r-packages.txt"); install.packages(p, repos = Sys.getenv("CRAN_REPO")); missing <- p[!vapply(p, requireNamespace, logical(1), quietly = TRUE)]; if (length(missing) > 0) stop("R packages not installed: ", paste(missing, collapse = ", "))'; \
    fi

COPY --chown=1000:1000 berth-resources/ /opt/berth/resources/
USER 1000:1000
RUN if [ "$RESOURCES_MODE" = init-script ]; then cd /opt/berth/resources && sh /opt/berth/build/resources-init.sh; fi

ENV BERTH_KERNEL_LANGUAGE=${KERNEL_LANGUAGE} \
    BERTH_RESOURCES_DIR=/opt/berth/resources
# berth:code-env-env
WORKDIR /home/berth
