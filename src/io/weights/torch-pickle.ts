// What a PyTorch state dict's pickle may name, and what it means: OrderedDict, the tensor
// rebuilders of torch._utils, and the storage classes (torch.FloatStorage, ...). Tensors come out
// as references (storage, offset, size, stride); their data stays in the file until read.

import { isCount, isCountList } from './checks.js';
import { show } from '../../util/quote.js';
import { ConvertError } from './convert-error.js';
import { PickleCallable, PickleDict, unpickle } from './pickle.js';

/** A storage class (torch.FloatStorage): its element type and size. */
export interface StorageType {
  dtype: string;
  bytes: number;
}

/** A storage as a persistent id names it; where its bytes are is the container's business. */
export interface StorageRef {
  key: string;
  type: StorageType;
  /** Elements in the storage. */
  numel: number;
  /** Elements before this view's first one, for the legacy format's storage views. */
  viewOffset: number;
}

export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

const STORAGE_TYPES: Record<string, StorageType> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

function tensor(source: string, args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!isStorageRef(storage)) throw bad(source, 'a tensor without a storage', storage);
  if (!isCount(offset) || !isCountList(size) || !isCountList(stride) || size.length !== stride.length)
    throw bad(source, 'a tensor with offset, size and stride', [offset, size, stride]);
  return new TensorRef(storage as StorageRef, offset, size, stride);
}

/** Only a persistent id makes a StorageRef. */
const isStorageRef = (v: unknown): v is StorageRef => typeof v === 'object' && v !== null && 'key' in v && 'type' in v;
const bad = (source: string, what: string, value: unknown) =>
  new ConvertError(`${source}: the pickle holds ${what} that does not fit (${show(value, 80)}); the file is corrupt`);

/** The globals a state dict uses, by "module.name"; anything else is refused. */
function allowedGlobals(source: string): Map<string, unknown> {
  const globals = new Map<string, unknown>([
    ['collections.OrderedDict', new PickleCallable('collections.OrderedDict', () => new PickleDict())],
    ['torch._utils._rebuild_tensor', new PickleCallable('torch._utils._rebuild_tensor', (a) => tensor(source, a))],
    ['torch._utils._rebuild_tensor_v2', new PickleCallable('torch._utils._rebuild_tensor_v2', (a) => tensor(source, a))],
    ['torch._utils._rebuild_parameter', new PickleCallable('torch._utils._rebuild_parameter', (a) => a[0])],
    ['torch._utils._rebuild_parameter_with_state', new PickleCallable('torch._utils._rebuild_parameter_with_state', (a) => a[0])],
  ]);
  for (const [name, type] of Object.entries(STORAGE_TYPES)) {
    globals.set(`torch.${name}`, type);
    globals.set(`torch.cuda.${name}`, type);
  }
  return globals;
}

function refusal(qualname: string): string {
  if (/^(torch\.nn\.|torchvision\.|__main__\.)/.test(qualname))
    return 'belongs to a whole pickled model, not a state dict: load it in Python and save model.state_dict() instead';
  return 'a state dict never calls; only PyTorch state dicts (tensors in a dict) are read';
}

/** The storage a persistent id ("storage", type, key, location, numel[, view]) names. */
function storageFromId(source: string, pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw bad(source, 'a persistent id', pid);
  const [, type, key, , numel, view] = pid as unknown[];
  if (!Object.values(STORAGE_TYPES).includes(type as StorageType)) throw bad(source, 'a storage of an unknown type', type);
  if ((typeof key !== 'string' && typeof key !== 'number') || !isCount(numel)) throw bad(source, 'a storage id', pid);
  if (view !== undefined && view !== null) {
    if (!Array.isArray(view) || !isCount(view[1])) throw bad(source, 'a storage view', view);
    return { key: String(key), type: type as StorageType, numel, viewOffset: view[1] };
  }
  return { key: String(key), type: type as StorageType, numel, viewOffset: 0 };
}

export interface StatePickle {
  value: unknown;
  end: number;
  storages: StorageRef[];
}

/** Reads the state dict's pickle at `at`, collecting the storages it refers to. */
export function unpickleState(bytes: Uint8Array, at: number, source: string): StatePickle {
  const globals = allowedGlobals(source);
  const storages: StorageRef[] = [];
  const { value, end } = unpickle(bytes, at, {
    source,
    resolve: (module, name) => globals.get(`${module}.${name}`),
    refusal,
    persistentLoad: (pid) => {
      const storage = storageFromId(source, pid);
      storages.push(storage);
      return storage;
    },
  });
  return { value, end, storages };
}

/** The tensors of a state dict, or of the state dict inside a training checkpoint ({state_dict: ...}). */
export function stateTensors(value: unknown, source: string): Map<string, TensorRef> {
  let dict = value;
  if (dict instanceof Map) {
    const inner = ['state_dict', 'model_state_dict', 'model']
      .map((k) => (dict as Map<unknown, unknown>).get(k))
      .find((v) => v instanceof Map);
    if (inner) dict = inner;
  }
  if (!(dict instanceof Map)) throw new ConvertError(`${source}: holds ${describe(dict)}, not a state dict (a dict of tensors)`);
  const tensors = new Map<string, TensorRef>();
  for (const [k, v] of dict) if (typeof k === 'string' && v instanceof TensorRef) tensors.set(k, v);
  if (tensors.size === 0) throw new ConvertError(`${source}: the state dict holds no tensors`);
  return tensors;
}

function describe(value: unknown): string {
  if (value instanceof TensorRef) return 'a single tensor';
  return Array.isArray(value) ? 'a list or tuple' : value === null ? 'None' : `a ${typeof value}`;
}
