interface ImportMetaEnv {
  /** Baked in by `npm start` for a local build; policy or the options page win over it. */
  readonly WXT_AGENT_URL?: string;
  readonly WXT_ENROLLMENT_TOKEN?: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}
