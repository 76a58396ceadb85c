// Compile-time checks of defineTeam: `npm test` runs tsc over this file; each @ts-expect-error must fire.
import { defineTeam } from "../components/spec/define";
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i", tools: ["get_pods", "delete_namespace"] }, free: { image: "j" } },
  grants: {
    developers: { allow: "*", deny: ["k8s/delete_namespace", "free/anything"] },
  },
});
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i", tools: ["get_pods"] } },
  // @ts-expect-error unknown group
  grants: { developer: { allow: "*" } },
});
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i", tools: ["get_pods"] } },
  // @ts-expect-error unknown tool
  grants: { developers: { deny: ["k8s/delete_namespace"] } },
});
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i", tools: ["get_pods"] } },
  // @ts-expect-error unknown backend
  grants: { developers: { deny: ["github/x"] } },
});
