import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from "@whiskeysockets/baileys";
import { Store } from "../store/store";

/**
 * Baileys' login (its credentials and Signal keys) kept in a wa-store: embedded or Redis, so that a
 * restart, or a second instance taking over, needs no new pairing. The same shape as Baileys' own
 * useMultiFileAuthState, with a Store where it has files.
 */
export interface BaileysAuthLibrary {
  initAuthCreds(): AuthenticationCreds;
  /** JSON.stringify / parse helpers that keep Buffers (Baileys' BufferJSON). */
  BufferJSON: { replacer(key: string, value: unknown): unknown; reviver(key: string, value: unknown): unknown };
  /** Turns a stored app-state key back into its protobuf class (proto.Message.AppStateSyncKeyData.fromObject). */
  appStateSyncKey(value: unknown): SignalDataTypeMap["app-state-sync-key"];
}

export interface StoredAuthState {
  state: AuthenticationState;
  saveCreds(): Promise<void>;
  /** Removes every key of this login (after a logout). */
  clear(): Promise<void>;
}

export async function storeAuthState(store: Store, prefix: string, library: BaileysAuthLibrary): Promise<StoredAuthState> {
  const write = (name: string, value: unknown) => store.set(`${prefix}${name}`, JSON.stringify(value, library.BufferJSON.replacer));
  const read = async (name: string): Promise<unknown> => {
    const raw = await store.get(`${prefix}${name}`);
    return raw === undefined ? undefined : (JSON.parse(raw, library.BufferJSON.reviver) as unknown);
  };
  const creds = ((await read("creds")) as AuthenticationCreds | undefined) ?? library.initAuthCreds();
  return {
    state: {
      creds,
      keys: {
        get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
          const found: { [id: string]: SignalDataTypeMap[T] } = {};
          for (const id of ids) {
            let value = await read(`key:${type}:${id}`);
            if (value !== undefined && type === "app-state-sync-key") value = library.appStateSyncKey(value);
            if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
          }
          return found;
        },
        set: async (data: SignalDataSet) => {
          for (const [type, entries] of Object.entries(data)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              if (value === null || value === undefined) await store.delete(`${prefix}key:${type}:${id}`);
              else await write(`key:${type}:${id}`, value);
            }
          }
        },
      },
    },
    saveCreds: () => write("creds", creds),
    clear: async () => {
      for (const key of await store.keys(prefix)) await store.delete(key);
    },
  };
}
