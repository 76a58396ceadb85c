// Compile-time checks of defineTeam: `npm test` runs tsc over this file; each @ts-expect-error must fire.
import { defineTeam, type ToolRefOf } from "../components/spec/define";
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
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i", tools: ["get_pods"] } },
  // @ts-expect-error unknown tool in an allow list
  grants: { developers: { allow: ["k8s/get_pods", "k8s/delete_pods"] } },
});
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i", tools: ["get_pods"] } },
  // @ts-expect-error allow is "*" or a list, nothing else
  grants: { developers: { allow: "all" } },
});
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i", tools: ["get_pods"] } },
  // @ts-expect-error a tool reference is backend/tool, not the advertised name
  grants: { developers: { allow: ["k8s_get_pods"] } },
});
defineTeam({
  team: "x", endpoint: "https://x",
  // @ts-expect-error every group needs a description
  groups: { developers: {} },
  backends: { k8s: { image: "i" } },
});
// Grants may be omitted per group, and several groups may share backends.
defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" }, platform: { description: "p" }, readers: { description: "r" } },
  backends: { k8s: { image: "i", tools: ["get_pods", "delete_namespace"] }, gh: { image: "g", tools: ["create_issue"] } },
  grants: { developers: { allow: ["k8s/get_pods", "gh/create_issue"] }, platform: { allow: "*" } },
});

// ToolRefOf on its own: declared backends and tools only; any tool on a backend without a list.
type Refs = ToolRefOf<{ k8s: { image: string; tools: readonly ["get_pods"] }; free: { image: string } }>;
const okRef: Refs = "k8s/get_pods";
const freeRef: Refs = "free/whatever";
// @ts-expect-error undeclared tool
const badRef: Refs = "k8s/delete_namespace";
// @ts-expect-error undeclared backend
const badBackend: Refs = "github/get_pods";
void [okRef, freeRef, badRef, badBackend];

// The result keeps the literal group names, so code can rely on them.
const typed = defineTeam({
  team: "x", endpoint: "https://x",
  groups: { developers: { description: "d" } },
  backends: { k8s: { image: "i" } },
});
const groupName: "developers" = Object.keys(typed.groups)[0] as keyof typeof typed.groups;
void groupName;
