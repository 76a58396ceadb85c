/** The bundled gateway on Kubernetes: config validation, pure object builders, the component. */
export { validateGateway, gatewaySchema, DEFAULT_GATEWAY_RESOURCES, DEFAULT_GATEWAY_PORT, DEFAULT_DRAIN_SECONDS, type GatewaySpec } from "./config";
export { gatewayObjects, gatewayContainerEnv, gatewayConfigData, gatewayNames, GATEWAY_COMMAND, GATEWAY_WORKDIR, GATEWAY_UID, type GatewayObjects, type GatewayValues } from "./objects";
export { clusterBackendUrls, mcpServerServiceName, mcpServerServiceUrl, MCPSERVER_PROXY_PORT } from "./backendUrls";
export { BundledGateway, type BundledGatewayArgs } from "./bundledGateway";
