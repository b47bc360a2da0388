# The balancer (and the toxic proxy service, same image): the `faultline` command line.
# Base image as a build argument, as in backends/Dockerfile.
ARG NODE_IMAGE=node:20-slim
FROM ${NODE_IMAGE}
WORKDIR /app
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY core ./core
COPY balancer ./balancer
COPY backends ./backends
COPY chaos ./chaos
COPY drills ./drills
COPY stack ./stack
COPY cli ./cli
COPY compose ./compose
COPY scripts/bundle.mjs ./scripts/
# Plain JavaScript at start (no tsx): bin/faultline.js runs dist/balancer.mjs for `balancer` (the
# balancer alone, and dist/balancer-worker.mjs for its workers) and dist/faultline.mjs for the
# toxic proxy. The TypeScript stays for drill files written in TypeScript.
COPY bin ./bin
RUN ["node", "scripts/bundle.mjs", "faultline", "balancer", "balancer-worker"]
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/faultline.js"]
CMD ["balancer", "--config", "compose/balancer.yaml", "--log-format", "json"]
