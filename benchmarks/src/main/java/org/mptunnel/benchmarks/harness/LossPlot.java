package org.mptunnel.benchmarks.harness;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the SVG plot of round-trip loss against offered rate, by hand: two polylines on a
 * logarithmic loss axis (so that 0.1 % and 50 % are both readable), the loss limit as a dashed line,
 * and a legend with each path's sustained rate.
 */
final class LossPlot {

    private static final int WIDTH = 760;
    private static final int HEIGHT = 460;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    /** The bottom of the loss axis; smaller losses, and none at all, are drawn on it. */
    private static final double FLOOR = 1e-4;
    private static final double CEILING = 1;
    private static final String TUNNEL_COLOUR = "#1f5fbf";
    private static final String BARE_COLOUR = "#e07000";

    private LossPlot() {
    }

    static String svg(List<Measured> tunnel, List<Measured> bare, Measured tunnelBest, Measured bareBest,
                      HarnessOptions options) {
        double maxRate = 0;
        for (Measured m : concat(tunnel, bare)) {
            maxRate = Math.max(maxRate, m.result().offeredRate());
        }
        double tick = niceTick(Math.max(maxRate, 1000));
        double xMax = Math.ceil(Math.max(maxRate, 1000) / tick) * tick;

        StringBuilder s = canvas();
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">"
                + "Round-trip loss against offered rate, %d-byte datagrams, 127.0.0.1</text>%n", LEFT, options.size()));

        // grid and axes
        for (double x = 0; x <= xMax + 1e-9; x += tick) {
            double px = px(x, xMax);
            s.append(line(px, TOP, px, HEIGHT - BOTTOM, "#e4e4e4", 1, null));
            s.append(text(px, HEIGHT - BOTTOM + 18, "middle", x == 0 ? "0" : compact(x)));
        }
        lossAxis(s);
        s.append(text((LEFT + WIDTH - RIGHT) / 2.0, HEIGHT - 18, "middle", "offered rate (datagrams/s)"));
        s.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">"
                + "round-trip loss (log scale)</text>%n", (TOP + HEIGHT - BOTTOM) / 2.0, (TOP + HEIGHT - BOTTOM) / 2.0));

        // the pass limit
        double limitY = py(Math.max(FLOOR, options.maxLoss()));
        s.append(line(LEFT, limitY, WIDTH - RIGHT, limitY, "#c00000", 1.2, "6 4"));
        s.append(text(WIDTH - RIGHT - 4, limitY - 5, "end", "limit " + percentLabel(options.maxLoss()), "#c00000"));

        // the bare path on top and dashed, so that where the two coincide both stay visible
        series(s, tunnel, xMax, TUNNEL_COLOUR, null);
        series(s, bare, xMax, BARE_COLOUR, "7 4");

        // legend
        int lx = LEFT + 14;
        int ly = TOP + 14;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"330\" height=\"46\" fill=\"white\" "
                + "fill-opacity=\"0.9\" stroke=\"#999\"/>%n", lx - 8, ly - 12));
        legend(s, lx, ly + 2, TUNNEL_COLOUR, null, "tunnel, " + options.paths() + " bridges: sustains " + best(tunnelBest));
        legend(s, lx, ly + 22, BARE_COLOUR, "7 4", "bare path, 1 bridge: sustains " + best(bareBest));
        s.append(text(WIDTH - RIGHT, HEIGHT - 4, "end", "filled: loss within the limit; hollow: over it", "#666"));
        s.append("</svg>\n");
        return s.toString();
    }

    /** @return an SVG document opened on a white canvas */
    private static StringBuilder canvas() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        return s;
    }

    /** The loss axis's grid and labels (log scale), and both axes' lines. */
    private static void lossAxis(StringBuilder s) {
        for (double loss = FLOOR; loss <= CEILING * 1.0001; loss *= 10) {
            double py = py(loss);
            s.append(line(LEFT, py, WIDTH - RIGHT, py, "#e4e4e4", 1, null));
            s.append(text(LEFT - 8, py + 4, "end", loss == FLOOR ? "≤ 0.01 %" : percentLabel(loss)));
        }
        s.append(line(LEFT, TOP, LEFT, HEIGHT - BOTTOM, "#333", 1, null));
        s.append(line(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, "#333", 1, null));
    }

    /** One end-to-end run of the overhead plot: what it cost and what was still lost. */
    record OverheadPoint(String kind, String label, double wirePerPayload, double loss) {
    }

    private static final double OVERHEAD_MAX = 4;

    /**
     * The plot of residual loss (log) against bytes on the wire per payload byte, one marker per
     * run, coloured by kind (duplication, adaptive, FEC, adaptive FEC), labelled with its scenario.
     */
    static String overheadSvg(String title, List<OverheadPoint> points) {
        Map<String, String> colours = new java.util.LinkedHashMap<>();
        colours.put("duplication", BARE_COLOUR);
        colours.put("adaptive", "#2a9d3a");
        colours.put("FEC", TUNNEL_COLOUR);
        colours.put("adaptive FEC", "#7b3fa0");
        StringBuilder s = canvas();
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
                LEFT, title));
        for (double x = 1; x <= OVERHEAD_MAX + 1e-9; x += 0.5) {
            double px = overheadX(x);
            s.append(line(px, TOP, px, HEIGHT - BOTTOM, "#e4e4e4", 1, null));
            s.append(text(px, HEIGHT - BOTTOM + 18, "middle", Report.number(x, 1)));
        }
        lossAxis(s);
        s.append(text((LEFT + WIDTH - RIGHT) / 2.0, HEIGHT - 18, "middle", "bytes on the wire per payload byte"));
        s.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">"
                + "residual loss, round trip (log scale)</text>%n", (TOP + HEIGHT - BOTTOM) / 2.0, (TOP + HEIGHT - BOTTOM) / 2.0));
        java.util.Set<String> labelled = new java.util.HashSet<>();
        for (OverheadPoint p : points) {
            String colour = colours.getOrDefault(p.kind(), "#666");
            double x = overheadX(Math.min(OVERHEAD_MAX, p.wirePerPayload()));
            double y = py(p.loss());
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" fill-opacity=\"0.8\">"
                            + "<title>%s: %s, %.2f bytes per payload byte, %s lost</title></circle>%n", x, y, colour,
                    p.kind(), p.label(), p.wirePerPayload(), Report.percent(p.loss())));
            if (labelled.add(p.label())) { // repeated runs: the label once, at the first
                s.append(text(x + 6, y - 5, "start", p.label(), colour).replace("<text ", "<text font-size=\"10\" "));
            }
        }
        int ly = TOP + 14;
        for (Map.Entry<String, String> e : colours.entrySet()) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>%n", WIDTH - RIGHT - 110,
                    ly - 4, e.getValue()));
            s.append(text(WIDTH - RIGHT - 100, ly, "start", e.getKey()));
            ly += 18;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double overheadX(double perByte) {
        return LEFT + (WIDTH - LEFT - RIGHT) * (perByte - 1) / (OVERHEAD_MAX - 1);
    }

    private static void series(StringBuilder s, List<Measured> steps, double xMax, String colour, String dash) {
        List<Measured> ordered = new ArrayList<>(steps);
        ordered.sort(Comparator.comparingInt(m -> m.result().offeredRate()));
        if (ordered.isEmpty()) {
            return;
        }
        // The line joins each rate's best attempt; every attempt gets its marker.
        Map<Integer, Measured> best = new TreeMap<>();
        for (Measured m : ordered) {
            best.merge(m.result().offeredRate(), m, (a, b) -> a.result().loss() <= b.result().loss() ? a : b);
        }
        StringBuilder points = new StringBuilder();
        for (Measured m : best.values()) {
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px(m.result().offeredRate(), xMax), py(m.result().loss())));
        }
        s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"%s/>%n",
                points.toString().trim(), colour, dash == null ? "" : " stroke-dasharray=\"" + dash + "\""));
        for (Measured m : ordered) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"%s\" "
                            + "stroke-width=\"1.5\"><title>%s/s offered: %s lost</title></circle>%n",
                    px(m.result().offeredRate(), xMax), py(m.result().loss()), m.passed() ? colour : "white", colour,
                    Report.grouped(m.result().offeredRate()), Report.percent(m.result().loss())));
        }
    }

    private static void legend(StringBuilder s, int x, int y, String colour, String dash, String label) {
        s.append(line(x, y - 4, x + 26, y - 4, colour, 2.2, dash));
        s.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/>%n", x + 13, y - 4, colour));
        s.append(text(x + 34, y, "start", label));
    }

    private static String best(Measured m) {
        return m == null ? "no step passed" : Report.grouped(m.result().echoRate()) + " echoes/s";
    }

    private static double px(double rate, double xMax) {
        return LEFT + (WIDTH - LEFT - RIGHT) * rate / xMax;
    }

    private static double py(double loss) {
        double l = Math.min(CEILING, Math.max(FLOOR, loss));
        double f = (Math.log10(l) - Math.log10(FLOOR)) / (Math.log10(CEILING) - Math.log10(FLOOR));
        return HEIGHT - BOTTOM - f * (HEIGHT - TOP - BOTTOM);
    }

    private static double niceTick(double max) {
        for (double t : new double[] {500, 1_000, 2_000, 5_000, 10_000, 20_000, 25_000, 50_000, 100_000, 200_000, 500_000}) {
            if (max / t <= 10) {
                return t;
            }
        }
        return 1_000_000;
    }

    private static String compact(double rate) {
        return rate >= 1000 ? Report.number(rate / 1000, rate % 1000 == 0 ? 0 : 1) + "k" : Report.grouped(rate);
    }

    private static String percentLabel(double share) {
        double p = 100 * share;
        return (p >= 1 ? Report.number(p, 0) : Report.number(p, p >= 0.1 ? 1 : 2)) + " %";
    }

    private static String line(double x1, double y1, double x2, double y2, String colour, double width, String dash) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                + "stroke-width=\"%.1f\"%s/>%n", x1, y1, x2, y2, colour, width,
                dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
    }

    private static String text(double x, double y, String anchor, String content) {
        return text(x, y, anchor, content, "#222");
    }

    private static String text(double x, double y, String anchor, String content, String colour) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\">%s</text>%n",
                x, y, anchor, colour, content.replace("&", "&amp;").replace("<", "&lt;"));
    }

    private static List<Measured> concat(List<Measured> a, List<Measured> b) {
        List<Measured> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
