// Which third-party provider a remote job goes to, from its model id. This mirrors
// parse_target in engines/remote/engine.py (a test runs both on the same ids): the consent
// the studio records must be the purpose the server's job gate checks, provider:<name>.

export function providerOfModel(model) {
  const id = String(model ?? "").trim();
  if (id.startsWith("fal:") || id.startsWith("fal-ai/")) return "fal";
  if (id.startsWith("replicate:")) return "replicate";
  if (id === "comfyui" || id === "comfyui:") return "comfyui";
  return null;
}
