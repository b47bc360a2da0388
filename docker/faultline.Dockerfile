# The balancer (and the toxic proxy service, same image): the `faultline` command line.
# Base image as a build argument, as in backends/Dockerfile.
ARG NODE_IMAGE=node:20-slim
FROM ${NODE_IMAGE}
WORKDIR /app
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY bin ./bin
COPY core ./core
COPY balancer ./balancer
COPY backends ./backends
COPY chaos ./chaos
COPY drills ./drills
COPY stack ./stack
COPY cli ./cli
COPY compose ./compose
COPY scripts/bundle.mjs ./scripts/
# Plain JavaScript at start (no tsx), for the balancer's workers too (config `workers`). The image runs the balancer and the toxic proxy only; the
# TypeScript stays for `bin/faultline.js`, which also loads drill files written in TypeScript.
RUN ["node", "scripts/bundle.mjs", "faultline", "balancer-worker"]
ENV NODE_ENV=production
ENTRYPOINT ["node", "dist/faultline.mjs"]
CMD ["balancer", "--config", "compose/balancer.yaml", "--log-format", "json"]
