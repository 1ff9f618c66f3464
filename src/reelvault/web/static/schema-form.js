// Engine options rendered from the engine's parameter JSON schema, so a new engine (or a
// new option) shows up without front-end changes.

let counter = 0;

function resolve(schema, root) {
  if (schema && schema.$ref && root.$defs) {
    const name = schema.$ref.split("/").pop();
    return { ...root.$defs[name], ...schema, $ref: undefined };
  }
  return schema || {};
}

// {type: [..]} or anyOf [X, null] -> (X, nullable)
function unwrap(schema, root) {
  schema = resolve(schema, root);
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf.map((s) => resolve(s, root));
    const real = options.filter((s) => s.type !== "null");
    if (real.length === 1) {
      return { ...real[0], title: schema.title, description: schema.description,
        default: schema.default, nullable: options.length > real.length };
    }
  }
  return schema;
}

function kindOf(schema) {
  if (Array.isArray(schema.enum)) return "enum";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer" || schema.type === "number") return schema.type;
  if (schema.type === "string") return "string";
  return null; // objects, arrays: not offered in the form
}

function labelText(name, schema) {
  return schema.title || name.replace(/_/g, " ");
}

export function renderParams(container, paramsSchema) {
  container.replaceChildren();
  const fields = [];
  const root = paramsSchema || {};
  const required = new Set(root.required || []);
  for (const [name, raw] of Object.entries(root.properties || {})) {
    const schema = unwrap(raw, root);
    const kind = kindOf(schema);
    if (!kind) continue;
    counter += 1;
    const id = `param-${counter}-${name}`;
    const wrap = document.createElement("div");
    wrap.className = kind === "boolean" ? "field check" : "field";
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText(name, schema) + (required.has(name) ? " (required)" : "");
    let input;
    if (kind === "enum") {
      input = document.createElement("select");
      if (schema.nullable || schema.default === undefined) {
        input.append(new Option("default", ""));
      }
      for (const value of schema.enum) input.append(new Option(String(value), String(value)));
      if (schema.default !== undefined && schema.default !== null) input.value = String(schema.default);
    } else if (kind === "boolean") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = schema.default === true;
    } else {
      input = document.createElement("input");
      if (kind === "string") {
        input.type = "text";
        if (schema.maxLength) input.maxLength = schema.maxLength;
      } else {
        input.type = "number";
        input.step = kind === "integer" ? "1" : "any";
        input.inputMode = kind === "integer" ? "numeric" : "decimal";
        if (schema.minimum !== undefined) input.min = schema.minimum;
        if (schema.maximum !== undefined) input.max = schema.maximum;
      }
      if (schema.default !== undefined && schema.default !== null) input.value = String(schema.default);
      else input.placeholder = "default";
    }
    input.id = id;
    input.name = name;
    if (required.has(name)) input.required = true;
    if (schema.description) {
      const hint = document.createElement("p");
      hint.className = "hint";
      hint.id = `${id}-hint`;
      hint.textContent = schema.description;
      input.setAttribute("aria-describedby", hint.id);
      if (kind === "boolean") wrap.append(input, label, hint);
      else wrap.append(label, input, hint);
    } else if (kind === "boolean") {
      wrap.append(input, label);
    } else {
      wrap.append(label, input);
    }
    container.append(wrap);
    fields.push({ name, kind, schema, input, required: required.has(name) });
  }
  return fields;
}

// Only values the person changed from the default are sent; returns {values, error}.
export function readParams(fields) {
  const values = {};
  for (const { name, kind, schema, input, required } of fields) {
    const title = labelText(name, schema);
    if (kind === "boolean") {
      if (input.checked !== (schema.default === true)) values[name] = input.checked;
      continue;
    }
    const text = input.value.trim();
    if (text === "") {
      if (required) return { values, error: `${title} is required`, input };
      continue;
    }
    let value = text;
    if (kind === "integer" || kind === "number") {
      value = Number(text);
      if (!Number.isFinite(value) || (kind === "integer" && !Number.isInteger(value))) {
        return { values, error: `${title} must be a${kind === "integer" ? " whole" : ""} number`, input };
      }
      if (schema.minimum !== undefined && value < schema.minimum) {
        return { values, error: `${title} must be at least ${schema.minimum}`, input };
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        return { values, error: `${title} must be at most ${schema.maximum}`, input };
      }
    }
    if (value === schema.default) continue;
    values[name] = value;
  }
  return { values, error: null };
}
