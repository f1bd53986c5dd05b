// How many bytes a zlib stream inflates to, found by decoding its deflate codes without producing
// the bytes (after puff, zlib's reference inflater). PNG decoding asks this before pngjs inflates,
// since pngjs inflates an interlaced image without a bound, and a cut-off stream without an error.

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * A canonical Huffman code: how many codes of each length, the symbols in code order, and a table
 * from the next FAST_BITS bits of the stream to (symbol << 4 | length) for codes that short.
 */
interface Huffman {
  counts: Int32Array;
  symbols: Int32Array;
  fast: Int32Array;
}
const FAST_BITS = 9;

function huffman(lengths: ArrayLike<number>): Huffman {
  const counts = new Int32Array(16);
  for (let s = 0; s < lengths.length; s++) counts[lengths[s]!]!++;
  const offsets = new Int32Array(16);
  for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len]! + counts[len]!;
  const symbols = new Int32Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) symbols[offsets[lengths[s]!]!++] = s;
  counts[0] = 0;
  const fast = new Int32Array(1 << FAST_BITS);
  for (let len = 1, code = 0, index = 0; len <= FAST_BITS; len++, code <<= 1) {
    for (let i = 0; i < counts[len]!; i++, code++) {
      let reversed = 0; // the stream holds codes most significant bit first
      for (let b = 0; b < len; b++) reversed |= ((code >> b) & 1) << (len - 1 - b);
      for (let j = reversed; j < fast.length; j += 1 << len) fast[j] = (symbols[index]! << 4) | len;
      index++;
    }
  }
  return { counts, symbols, fast };
}

const FIXED_LITERALS = huffman(Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)));
const FIXED_DISTANCES = huffman(new Array(30).fill(5));

/**
 * The inflated length of zlib `data`, or the first count past `limit` (decoding stops there).
 * Throws an Error saying what is wrong when the stream is corrupt or ends early.
 */
export function inflatedSize(data: Uint8Array, limit: number): number {
  let pos = 2; // after the zlib header; the Adler-32 trailer is not checked
  let bitBuffer = 0;
  let bitCount = 0;
  const bits = (n: number): number => {
    while (bitCount < n) {
      if (pos >= data.length) throw new Error('the compressed pixels end early');
      bitBuffer |= data[pos++]! << bitCount;
      bitCount += 8;
    }
    const value = bitBuffer & ((1 << n) - 1);
    bitBuffer >>>= n;
    bitCount -= n;
    return value;
  };
  const decode = ({ counts, symbols, fast }: Huffman): number => {
    for (; bitCount <= 24 && pos < data.length; bitCount += 8) bitBuffer |= data[pos++]! << bitCount;
    const entry = bitCount >= FAST_BITS ? fast[bitBuffer & ((1 << FAST_BITS) - 1)]! : 0;
    if (entry) {
      bitBuffer >>>= entry & 15;
      bitCount -= entry & 15;
      return entry >> 4;
    }
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= bits(1);
      const count = counts[len]!;
      if (code - first < count) return symbols[index + code - first]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new Error('a bad code in the compressed pixels');
  };
  if (data.length < 2 || (data[0]! & 0x0f) !== 8 || ((data[0]! << 8) | data[1]!) % 31 !== 0)
    throw new Error('the compressed pixels have no zlib header');
  let size = 0;
  for (let last = 0; !last && size <= limit;) {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      pos -= bitCount >> 3; // a stored block: back to the byte after this one, its length, the bytes
      [bitBuffer, bitCount] = [0, 0];
      if (pos + 4 > data.length) throw new Error('the compressed pixels end early');
      const length = data[pos]! | (data[pos + 1]! << 8);
      pos += 4 + length;
      if (pos > data.length) throw new Error('the compressed pixels end early');
      size += length;
      continue;
    }
    if (type === 3) throw new Error('a bad block type in the compressed pixels');
    const [literals, distances] = type === 1 ? [FIXED_LITERALS, FIXED_DISTANCES] : dynamicCodes(bits, decode);
    for (;;) {
      const symbol = decode(literals);
      if (symbol < 256) size++;
      else if (symbol === 256) break;
      else {
        if (symbol > 285) throw new Error('a bad length code in the compressed pixels');
        size += LENGTH_BASE[symbol - 257]! + bits(LENGTH_EXTRA[symbol - 257]!);
        const distance = decode(distances);
        if (distance > 29) throw new Error('a bad distance code in the compressed pixels');
        bits(DISTANCE_EXTRA[distance]!);
      }
      if (size > limit) break;
    }
  }
  return size;
}

/** A dynamic block's literal/length and distance codes, read from its header. */
function dynamicCodes(bits: (n: number) => number, decode: (h: Huffman) => number): [Huffman, Huffman] {
  const literalCount = bits(5) + 257;
  const distanceCount = bits(5) + 1;
  const codeLengthCount = bits(4) + 4;
  const codeLengths = new Int32Array(19);
  for (let i = 0; i < codeLengthCount; i++) codeLengths[CODE_LENGTH_ORDER[i]!] = bits(3);
  const lengthCode = huffman(codeLengths);
  const lengths = new Int32Array(literalCount + distanceCount);
  for (let i = 0; i < lengths.length;) {
    const symbol = decode(lengthCode);
    if (symbol < 16) {
      lengths[i++] = symbol;
      continue;
    }
    if (symbol === 16 && i === 0) throw new Error('a bad code-length repeat in the compressed pixels');
    const value = symbol === 16 ? lengths[i - 1]! : 0;
    const repeat = symbol === 16 ? 3 + bits(2) : symbol === 17 ? 3 + bits(3) : 11 + bits(7);
    if (i + repeat > lengths.length) throw new Error('too many code lengths in the compressed pixels');
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  return [huffman(lengths.subarray(0, literalCount)), huffman(lengths.subarray(literalCount))];
}
