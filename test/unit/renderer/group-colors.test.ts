// Group colours come from the group's name: other groups coming and going leave a group's colour alone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GROUP_PALETTE, GroupPalette, groupColors, preferredSlot } from '../../../src/renderer/canvas/graphView';

/** WCAG relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

// The voice-assistant app's groups (TEN's ten-corpus).
const VOICE = ['default', 'stt', 'chatgpt', 'tts', 'control', 'transcriber'];
const groupName = fc.string({ minLength: 1, maxLength: 10 });

describe('group colours', () => {
  it("keep every existing group's colour when a node in a new group is added, and when one is removed", () => {
    for (const added of ['new_group', 'aaa', 'vision', 'rtc', 'zzz']) {
      const palette = new GroupPalette();
      const before = palette.colors(VOICE);
      const after = palette.colors([...VOICE, added]);
      for (const g of VOICE) expect(after.get(g), `${g} after adding ${added}`).toBe(before.get(g));
      expect(new Set(after.values()).size, 'the newcomer has a colour of its own').toBe(VOICE.length + 1);
    }
    const palette = new GroupPalette();
    const before = palette.colors(VOICE);
    for (const removed of VOICE) {
      const after = palette.colors(VOICE.filter((g) => g !== removed));
      for (const g of VOICE) if (g !== removed) expect(after.get(g), `${g} after removing ${removed}`).toBe(before.get(g));
    }
  });

  it('never recolour a group while groups come and go, nor one removed and added again (up to 16 names)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(groupName, { maxLength: 12 }), fc.array(fc.tuple(fc.boolean(), groupName), { maxLength: 12 }), (start, steps) => {
        const palette = new GroupPalette();
        let shown = new Set(start);
        const seen = new Map(palette.colors(shown));
        for (const [add, name] of steps) {
          if (add && shown.size < GROUP_PALETTE.length) shown.add(name);
          else if (add) continue;
          else shown.delete(name);
          shown = new Set(shown);
          const colors = palette.colors(shown);
          expect(new Set(colors.values()).size).toBe(shown.size);
          const everShown = new Set([...seen.keys(), ...shown]);
          for (const [g, c] of colors) {
            // Beyond 16 names ever shown, a returning group may find its colour given away.
            if (seen.has(g) && everShown.size <= GROUP_PALETTE.length) expect(c, g).toBe(seen.get(g));
            seen.set(g, c);
          }
        }
      }),
    );
  });

  it('undoing the removal of a group brings it back in its colour, even when a newcomer hashes to it', () => {
    const palette = new GroupPalette();
    const before = palette.colors(VOICE);
    palette.colors(VOICE.filter((g) => g !== 'tts'));
    // 'aaa' asks for the colour 'tts' had; it takes another while others are free.
    expect(GROUP_PALETTE[preferredSlot('aaa')]).toBe(before.get('tts'));
    const withNew = palette.colors([...VOICE.filter((g) => g !== 'tts'), 'aaa']);
    expect(withNew.get('aaa')).not.toBe(before.get('tts'));
    expect(palette.colors([...VOICE, 'aaa']).get('tts')).toBe(before.get('tts'));
  });

  it('start afresh for another document and stay for the same one', () => {
    const first = groupColors(['b', 'a'], 1);
    expect(groupColors(['a', 'c', 'b'], 1).get('a')).toBe(first.get('a'));
    expect([...groupColors(['b', 'a'], 2)]).toEqual([...new GroupPalette().colors(['b', 'a'])]);
  });

  it('are the same for the same names in any order and any session, from the names alone', () => {
    const a = new GroupPalette().colors(VOICE);
    const b = new GroupPalette().colors([...VOICE].reverse());
    expect([...b].sort()).toEqual([...a].sort());
    // A group without a clash has the colour its name asks for.
    const alone = new GroupPalette().colors(['transcriber']);
    expect(alone.get('transcriber')).toBe(GROUP_PALETTE[preferredSlot('transcriber')]);
  });

  it('give distinct colours to up to 16 groups, whatever their names', () => {
    fc.assert(
      fc.property(fc.uniqueArray(groupName, { minLength: 1, maxLength: GROUP_PALETTE.length }), (names) => {
        expect(new Set(new GroupPalette().colors(names).values()).size).toBe(names.length);
      }),
    );
  });

  it('are readable on the node background and the canvas', () => {
    for (const c of GROUP_PALETTE) {
      expect(contrast(c, '#222731'), c).toBeGreaterThanOrEqual(4.5);
      expect(contrast(c, '#14171c'), c).toBeGreaterThanOrEqual(4.5);
    }
  });
});
