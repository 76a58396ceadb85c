/**
 * The team the gateway runs for the conformance suite: one group whose anonymous development caller
 * may use everything, and `priority` aggregation so the backend's tools keep the suite's fixed names
 * (no `{workload}_` prefix).
 */
import type { TeamInput } from "../../components/spec/types";
import { TOOLS } from "./everythingServer";

export const CONFORMANCE_CALLER = { sub: "conformance@example.com", groups: ["mcp-everyone"] };

export function conformanceTeam(gatewayPort: number, backendUrl: string): TeamInput {
  return {
    team: "conformance",
    environment: "development",
    endpoint: `http://localhost:${gatewayPort}`,
    groupPrefix: "mcp-",
    groups: { everyone: { description: "The conformance suite's anonymous caller", members: [CONFORMANCE_CALLER.sub] } },
    grants: { everyone: { allow: "*" } },
    backends: {
      everything: {
        image: "local/vmcp-okta-conformance-backend",
        transport: "streamable-http",
        tools: TOOLS.map((t) => t.name),
        local: { url: backendUrl },
      },
    },
    aggregation: { conflictResolution: "priority", priorityOrder: ["everything"] },
  };
}
