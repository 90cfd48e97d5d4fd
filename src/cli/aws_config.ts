/**
 * AWS shared config and credentials files (`~/.aws/credentials`, `~/.aws/config`), read the way
 * the AWS CLI reads them. Parsing only: the command line reads the files.
 *
 * @module
 */

import type { Credentials } from "../backends/http.ts";

/** Sections of an INI file: name to keys and values. */
export type Ini = Record<string, Record<string, string>>;

/** Parses an INI file (`[section]`, `key = value`, `#` and `;` comments). */
export function parseIni(text: string): Ini {
  const out: Ini = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = out[header[1]] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0 || !section) continue;
    section[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** What a profile gives. */
export interface Profile {
  /** Credentials, when the profile has keys. */
  credentials?: Credentials;
  /** The profile's region. */
  region?: string;
}

/**
 * A profile from the credentials file (section `[name]`) and the config file (`[profile name]`,
 * or `[default]`); keys in the credentials file win.
 */
export function readProfile(name: string, credentialsText: string, configText: string): Profile {
  const credentialsFile = parseIni(credentialsText);
  const configFile = parseIni(configText);
  const fromConfig = configFile[name === "default" ? "default" : `profile ${name}`] ??
    configFile[name] ?? {};
  const merged = { ...fromConfig, ...(credentialsFile[name] ?? {}) };
  const profile: Profile = {};
  if (merged.aws_access_key_id && merged.aws_secret_access_key) {
    profile.credentials = {
      accessKeyId: merged.aws_access_key_id,
      secretAccessKey: merged.aws_secret_access_key,
      ...(merged.aws_session_token ? { sessionToken: merged.aws_session_token } : {}),
    };
  }
  if (merged.region) profile.region = merged.region;
  return profile;
}
