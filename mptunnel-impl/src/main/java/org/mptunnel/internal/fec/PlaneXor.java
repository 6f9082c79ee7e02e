package org.mptunnel.internal.fec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The coding loop: one byte range set to the XOR of others, 8 bytes at a time, four sources per
 * pass, so that each output word is loaded and stored once per four inputs. A range whose length
 * is not a multiple of 8 ends with one word that overlaps the one before it, summed over all the
 * sources at once (a byte loop there cost half as much again as the whole rest, measured).
 */
final class PlaneXor {

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private PlaneXor() {
    }

    /**
     * out[at, at + length) = XOR over s &lt; n of source[s][offset[s], offset[s] + length); zeros
     * if n = 0. No source range may overlap the output range.
     */
    static void sum(byte[][] source, int[] offset, int n, byte[] out, int at, int length) {
        if (n == 0) {
            Arrays.fill(out, at, at + length, (byte) 0);
            return;
        }
        if (length < 8) {
            sumBytes(source, offset, n, out, at, length);
            return;
        }
        int words = length & ~7;
        int s;
        if (n >= 4) {
            byte[] a = source[0];
            byte[] b = source[1];
            byte[] c = source[2];
            byte[] d = source[3];
            int ao = offset[0];
            int bo = offset[1];
            int co = offset[2];
            int dd = offset[3];
            for (int i = 0; i < words; i += 8) {
                LONG.set(out, at + i, (long) LONG.get(a, ao + i) ^ (long) LONG.get(b, bo + i)
                        ^ (long) LONG.get(c, co + i) ^ (long) LONG.get(d, dd + i));
            }
            s = 4;
        } else {
            System.arraycopy(source[0], offset[0], out, at, words);
            s = 1;
        }
        for (; s + 4 <= n; s += 4) {
            byte[] a = source[s];
            byte[] b = source[s + 1];
            byte[] c = source[s + 2];
            byte[] d = source[s + 3];
            int ao = offset[s];
            int bo = offset[s + 1];
            int co = offset[s + 2];
            int dd = offset[s + 3];
            for (int i = 0; i < words; i += 8) {
                LONG.set(out, at + i, (long) LONG.get(out, at + i) ^ (long) LONG.get(a, ao + i)
                        ^ (long) LONG.get(b, bo + i) ^ (long) LONG.get(c, co + i) ^ (long) LONG.get(d, dd + i));
            }
        }
        for (; s < n; s++) {
            byte[] a = source[s];
            int ao = offset[s];
            for (int i = 0; i < words; i += 8) {
                LONG.set(out, at + i, (long) LONG.get(out, at + i) ^ (long) LONG.get(a, ao + i));
            }
        }
        if (words < length) {
            int last = length - 8;
            long sum = 0;
            for (int t = 0; t < n; t++) {
                sum ^= (long) LONG.get(source[t], offset[t] + last);
            }
            LONG.set(out, at + last, sum);
        }
    }

    private static void sumBytes(byte[][] source, int[] offset, int n, byte[] out, int at, int length) {
        for (int i = 0; i < length; i++) {
            int sum = 0;
            for (int t = 0; t < n; t++) {
                sum ^= source[t][offset[t] + i];
            }
            out[at + i] = (byte) sum;
        }
    }
}
