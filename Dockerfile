# repolens image: runs the analysis notebook (shipped inside the package) with papermill
# on $ANALYSIS_PATH into $OUTPUT_DIR, then writes the HTML report (`repolens report`).
#
# BASE_IMAGE is pinned by tag and digest. To move to a newer patch release:
#   docker buildx imagetools inspect python:3.11-slim-bookworm
# and replace the digest below. Dependencies come from requirements.lock only
# (see README: "Refreshing the lock file").
ARG BASE_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

FROM ${BASE_IMAGE} AS build
# A CA bundle for pip, where the build machine reaches PyPI through its own authority.
ARG PIP_CERT
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python3 -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
# Pure Python here: the slim base has no C compiler for the compiled wheel (docs/development.md, "Compiled wheels").
COPY pyproject.toml README.md setup.py MANIFEST.in ./
COPY build_backend ./build_backend
COPY lib ./lib
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . \
    && /opt/venv/bin/python -m ipykernel install --prefix /opt/venv --name python3 \
        --display-name "Python 3"
# What a batch run of the notebook never loads: the packages' own test suites, the kernel's
# debugger and IPython's tab completion (both imported only if present), and pip itself.
RUN find /opt/venv/lib/python3.11/site-packages -depth -type d \( -name tests -o -name test \) \
        -prune -exec rm -rf {} + \
    && /opt/venv/bin/python -m pip uninstall --yes --quiet debugpy jedi parso pip

FROM ${BASE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/repolens/repolens
LABEL org.opencontainers.image.title="repolens" \
      org.opencontainers.image.description="Reproducible, notebook-driven metrics for research code repositories" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /opt/venv /opt/venv
# The working folder exists in the image itself: a read-only root cannot create it later.
RUN install -d -m 0755 /app
# Everything that writes goes to /tmp, so the root filesystem can be read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    IPYTHONDIR=/tmp/ipython \
    JUPYTER_RUNTIME_DIR=/tmp/jupyter/runtime \
    JUPYTER_CONFIG_DIR=/tmp/jupyter/config \
    XDG_CACHE_HOME=/tmp/cache \
    ANALYSIS_PATH=/data \
    OUTPUT_DIR=/output
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["repolens"]
CMD ["report"]
