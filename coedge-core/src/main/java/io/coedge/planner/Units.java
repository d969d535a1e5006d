package io.coedge.planner;

import java.util.Locale;

/** Parsing and printing of the quantities in profile files (rates, power, memory, bandwidth, time). */
final class Units {
    private Units() {
    }

    private record Split(double number, String unit) {
    }

    private static Split split(String what, String text) {
        String t = text.trim();
        int i = 0;
        while (i < t.length() && (Character.isDigit(t.charAt(i)) || "+-.eE".indexOf(t.charAt(i)) >= 0)) {
            // an 'e' followed by a letter other than a digit/sign starts the unit, not an exponent
            if ((t.charAt(i) == 'e' || t.charAt(i) == 'E') && (i + 1 >= t.length()
                    || !(Character.isDigit(t.charAt(i + 1)) || t.charAt(i + 1) == '-' || t.charAt(i + 1) == '+'))) {
                break;
            }
            i++;
        }
        String num = t.substring(0, i);
        try {
            double v = Double.parseDouble(num);
            if (!Double.isFinite(v) || v < 0) {
                throw new NumberFormatException();
            }
            return new Split(v, t.substring(i).trim().toLowerCase(Locale.ROOT));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a non-negative number with an optional unit");
        }
    }

    /** FLOP/s; a bare number means GFLOP/s. Units: FLOP/s, MFLOP/s, GFLOP/s, TFLOP/s. */
    static double rate(String what, String text) {
        Split s = split(what, text);
        return s.number * switch (s.unit.replace("flops", "flop/s")) {
            case "", "gflop/s" -> 1e9;
            case "flop/s" -> 1;
            case "mflop/s" -> 1e6;
            case "tflop/s" -> 1e12;
            default -> throw new IllegalArgumentException(what + ": unknown rate unit '" + s.unit + "' (use GFLOP/s)");
        };
    }

    /** Watts; a bare number means W. */
    static double power(String what, String text) {
        Split s = split(what, text);
        return s.number * switch (s.unit) {
            case "", "w" -> 1;
            case "mw" -> 1e-3;
            default -> throw new IllegalArgumentException(what + ": unknown power unit '" + s.unit + "' (use W)");
        };
    }

    /** Bytes; a bare number means MB (10^6 bytes). Units: B, KB, MB, GB, KiB, MiB, GiB. */
    static long memory(String what, String text) {
        Split s = split(what, text);
        double f = switch (s.unit) {
            case "b" -> 1;
            case "kb" -> 1e3;
            case "", "mb" -> 1e6;
            case "gb" -> 1e9;
            case "kib" -> 1024;
            case "mib" -> 1024 * 1024;
            case "gib" -> 1024.0 * 1024 * 1024;
            default -> throw new IllegalArgumentException(what + ": unknown memory unit '" + s.unit + "' (use MB or GB)");
        };
        return Math.round(s.number * f);
    }

    /** Bytes/s. Units: bit/s, kbit/s, Mbit/s, Gbit/s, B/s, KB/s, MB/s, GB/s; a bare number means Mbit/s. */
    static double bandwidth(String what, String text) {
        Split s = split(what, text);
        String u = s.unit.replace("bps", "bit/s");
        return s.number * switch (u) {
            case "bit/s" -> 1.0 / 8;
            case "kbit/s" -> 1e3 / 8;
            case "", "mbit/s" -> 1e6 / 8;
            case "gbit/s" -> 1e9 / 8;
            case "b/s" -> 1;
            case "kb/s" -> 1e3;
            case "mb/s" -> 1e6;
            case "gb/s" -> 1e9;
            default -> throw new IllegalArgumentException(what + ": unknown bandwidth unit '" + s.unit + "' (use Mbit/s or MB/s)");
        };
    }

    /** Seconds. Units: s, ms, us, ns; a bare number means ms. */
    static double seconds(String what, String text) {
        Split s = split(what, text);
        return s.number * switch (s.unit) {
            case "s" -> 1;
            case "", "ms" -> 1e-3;
            case "us", "µs" -> 1e-6;
            case "ns" -> 1e-9;
            default -> throw new IllegalArgumentException(what + ": unknown time unit '" + s.unit + "' (use ms)");
        };
    }

    static String formatRate(double flops) {
        return fmt(flops / 1e9) + " GFLOP/s";
    }

    static String formatBandwidth(double bytesPerSecond) {
        return fmt(bytesPerSecond * 8 / 1e6) + " Mbit/s";
    }

    static String formatSeconds(double s) {
        return fmt(s * 1e3) + " ms";
    }

    static String formatMemory(long bytes) {
        return fmt(bytes / 1e6) + " MB";
    }

    /** Shortest plain decimal that keeps four significant digits. */
    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains("e")) {
            return s;
        }
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s;
    }
}
