// A small PNG decoder in plain TypeScript (node:zlib for the deflate stream): 8-bit greyscale, greyscale+alpha,
// RGB and RGBA, not interlaced — what image classifiers are sent. Anything else is a clear INVALID_INPUT, never
// a wrong tensor. Returns channel-planar pixels (C×H×W, alpha dropped), the layout the models expect.

import { inflateSync } from 'node:zlib';
import { InferdError } from 'inferd';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Samples per pixel by PNG colour type (0 grey, 2 RGB, 4 grey+alpha, 6 RGBA). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export interface DecodedImage {
  width: number;
  height: number;
  /** Colour channels without alpha: 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /** Channel-planar 8-bit values, channels × height × width. */
  planes: Uint8Array;
}

const bad = (why: string) => new InferdError('INVALID_INPUT', `not a supported PNG: ${why}`);

export function decodePng(png: Buffer): DecodedImage {
  if (png.length < 33 || !png.subarray(0, 8).equals(SIGNATURE)) throw bad('no PNG signature');
  let width = 0;
  let height = 0;
  let samples = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (data.length !== length) throw bad(`chunk ${type} is truncated`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8) throw bad(`bit depth ${depth} (only 8)`);
      samples = SAMPLES[colour ?? -1] ?? 0;
      if (!samples) throw bad(`colour type ${colour} (palette images are not supported)`);
      if (interlace !== 0) throw bad('interlaced');
      if (width === 0 || height === 0 || width * height > 16_777_216) throw bad(`size ${width}x${height}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length; // length, type, data, CRC
  }
  if (!samples) throw bad('no IHDR chunk');
  const stride = width * samples;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (err) {
    throw bad(`image data does not inflate (${(err as Error).message})`);
  }
  if (raw.length < (stride + 1) * height) throw bad('image data is shorter than the image');
  const pixels = unfilter(raw, width, height, samples);
  const channels = samples >= 3 ? 3 : 1;
  const planes = new Uint8Array(channels * width * height);
  const area = width * height;
  for (let i = 0; i < area; i++) for (let c = 0; c < channels; c++) planes[c * area + i] = pixels[i * samples + c]!;
  return { width, height, channels, planes };
}

/** Undoes the per-row filters (None, Sub, Up, Average, Paeth) in place of a fresh buffer. */
function unfilter(raw: Buffer, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      let p: number;
      switch (filter) {
        case 0:
          p = 0;
          break;
        case 1:
          p = a;
          break;
        case 2:
          p = b;
          break;
        case 3:
          p = (a + b) >> 1;
          break;
        case 4: {
          const e = a + b - c;
          const da = Math.abs(e - a);
          const db = Math.abs(e - b);
          const dc = Math.abs(e - c);
          p = da <= db && da <= dc ? a : db <= dc ? b : c;
          break;
        }
        default:
          throw bad(`row ${y} has filter type ${filter}`);
      }
      out[row + x] = (raw[src + x]! + p) & 0xff;
    }
  }
  return out;
}
