/**
 * The workflow-safe SHA-256 matches Node's, byte for byte, at every padding boundary and for any UTF-8.
 */
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../src/domain/sha256';
import { seededRandom } from '../../src/testing/seeded-random';

const nodeSha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto at every length around the 64-byte block and its padding', () => {
    for (let length = 0; length <= 300; length++) {
      const text = 'x'.repeat(length);
      expect([length, sha256Hex(text)]).toEqual([length, nodeSha256(text)]);
    }
  });

  it('hashes the UTF-8 bytes of any text, surrogate pairs included', () => {
    const random = seededRandom(7);
    const alphabet = ['a', '/', ';', 'é', 'ß', '€', '漢', '😀', '\u0000', '\u007f', '\u0800', '\uffff'];
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: Math.floor(random() * 150) }, () => alphabet[Math.floor(random() * 12)]).join(
        '',
      );
      expect(sha256Hex(text)).toBe(nodeSha256(text));
    }
  });
});
