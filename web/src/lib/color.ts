// A space's brand colour paints the header band and the main buttons. Ops
// choose it freely, so the text colour on it is computed, and a colour too
// light for either text is darkened until WCAG AA contrast (4.5:1) holds.

export const defaultBrand = '#1f4e79';

type RGB = [number, number, number];

export function parseHex(hex: string | null | undefined): RGB | null {
  const m = /^#([0-9a-f]{6})$/i.exec(hex ?? '');
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: RGB): string {
  return '#' + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

function luminance([r, g, b]: RGB): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** contrast is the WCAG contrast ratio of two colours, from 1 to 21. */
export function contrast(a: RGB, b: RGB): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const white: RGB = [255, 255, 255];
const black: RGB = [0, 0, 0];

/**
 * brandColors returns the background and text colours for the brand band:
 * white text when it reaches 4.5:1, else near-black text when it does,
 * else the colour darkened until white text does.
 */
export function brandColors(hex: string | null | undefined): { bg: string; fg: string } {
  let rgb = parseHex(hex) ?? parseHex(defaultBrand)!;
  if (contrast(rgb, white) >= 4.5) return { bg: toHex(rgb), fg: '#ffffff' };
  if (contrast(rgb, black) >= 7) return { bg: toHex(rgb), fg: '#111111' };
  for (let i = 0; i < 40 && contrast(rgb, white) < 4.5; i++) {
    rgb = rgb.map((c) => c * 0.9) as RGB;
  }
  return { bg: toHex(rgb), fg: '#ffffff' };
}
