package org.mptunnel.benchmarks.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes the SVG plot of a run over time, by hand as {@link LossPlot} does: loss per time bucket
 * (bars) with the client's measured loss (a line) in the upper panel, copies sent per datagram in
 * the lower one, and a marker where a path turned lossy. Used for adaptive redundancy's
 * turning-lossy run; also a main that draws the CSV that run writes.
 */
public final class TimelinePlot {

    private static final int WIDTH = 760;
    private static final int HEIGHT = 480;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int GAP = 40;
    private static final int BOTTOM = 45;
    private static final int LOSS_PANEL = 220;
    private static final String LOSS_COLOUR = "#c0392b";
    private static final String MEASURED_COLOUR = "#1f5fbf";
    private static final String COPIES_COLOUR = "#2e8b57";

    /** One time bucket: its start, the share of its datagrams lost, copies per datagram, the measured loss then. */
    public record Bucket(double startMillis, double loss, double copies, double measuredLoss) {
    }

    private TimelinePlot() {
    }

    /**
     * Draws {@code args[0]} (CSV: t_ms, loss, copies_per_datagram, estimated_loss, measured_loss;
     * a header line) into {@code args[1]}, with {@code args[2]} as the title and a marker at
     * {@code args[3]} ms.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: TimelinePlot IN.csv OUT.svg TITLE EVENT_MS");
            System.exit(2);
        }
        List<Bucket> buckets = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            if (line.isBlank() || !Character.isDigit(line.charAt(0))) {
                continue;
            }
            String[] f = line.split(",");
            buckets.add(new Bucket(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[4])));
        }
        Files.writeString(Path.of(args[1]), svg(buckets, args[2], Double.parseDouble(args[3])), StandardCharsets.UTF_8);
    }

    /**
     * @param buckets   consecutive, equally long buckets
     * @param title     the plot's title
     * @param eventMillis where to mark the change, or NaN for none
     */
    public static String svg(List<Bucket> buckets, String title, double eventMillis) {
        double bucketMillis = buckets.size() < 2 ? 100 : buckets.get(1).startMillis() - buckets.get(0).startMillis();
        double tMax = buckets.isEmpty() ? 1000 : buckets.get(buckets.size() - 1).startMillis() + bucketMillis;
        double lossMax = 0.02;
        double copiesMax = 1;
        for (Bucket b : buckets) {
            lossMax = Math.max(lossMax, b.loss());
            if (!Double.isNaN(b.copies())) {
                copiesMax = Math.max(copiesMax, b.copies());
            }
        }
        lossMax = Math.ceil(lossMax * 50) / 50; // a whole number of 2 % steps
        copiesMax = Math.ceil(copiesMax);
        int lossTop = TOP;
        int lossBottom = TOP + LOSS_PANEL;
        int copiesTop = lossBottom + GAP;
        int copiesBottom = HEIGHT - BOTTOM;

        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        s.append(text(LEFT, 22, "start", title, "#222", " font-size=\"15\" font-weight=\"bold\""));

        double tick = tMax <= 2_000 ? 200 : tMax <= 5_000 ? 500 : 1_000;
        for (double t = 0; t <= tMax + 1e-9; t += tick) {
            double x = x(t, tMax);
            s.append(line(x, lossTop, x, lossBottom, "#e4e4e4", 1, null));
            s.append(line(x, copiesTop, x, copiesBottom, "#e4e4e4", 1, null));
            s.append(text(x, copiesBottom + 16, "middle", Report.number(t / 1000, tick < 1000 ? 1 : 0), "#222", ""));
        }
        s.append(text((LEFT + WIDTH - RIGHT) / 2.0, HEIGHT - 8, "middle", "time (s)", "#222", ""));
        for (int i = 0; i <= 4; i++) {
            double loss = lossMax * i / 4;
            double y = y(loss, lossMax, lossTop, lossBottom);
            s.append(line(LEFT, y, WIDTH - RIGHT, y, "#e4e4e4", 1, null));
            s.append(text(LEFT - 8, y + 4, "end", Report.number(100 * loss, 1) + " %", "#222", ""));
        }
        for (int c = 0; c <= copiesMax; c++) {
            double y = y(c, copiesMax, copiesTop, copiesBottom);
            s.append(line(LEFT, y, WIDTH - RIGHT, y, "#e4e4e4", 1, null));
            s.append(text(LEFT - 8, y + 4, "end", Integer.toString(c), "#222", ""));
        }
        s.append(vertical("loss per " + Report.number(bucketMillis, 0) + " ms", (lossTop + lossBottom) / 2.0));
        s.append(vertical("copies per datagram", (copiesTop + copiesBottom) / 2.0));

        // loss as bars, the measured loss as a line over them; copies as a step line
        double barWidth = Math.max(1, x(bucketMillis, tMax) - x(0, tMax) - 1);
        StringBuilder measured = new StringBuilder();
        StringBuilder copies = new StringBuilder();
        for (Bucket b : buckets) {
            double x0 = x(b.startMillis(), tMax);
            double x1 = x(b.startMillis() + bucketMillis, tMax);
            if (b.loss() > 0) {
                double y = y(b.loss(), lossMax, lossTop, lossBottom);
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                                + "<title>%s ms: %s %% lost</title></rect>%n", x0 + 0.5, y, barWidth, lossBottom - y,
                        LOSS_COLOUR, Report.number(b.startMillis(), 0), Report.number(100 * b.loss(), 2)));
            }
            if (b.measuredLoss() >= 0) {
                measured.append(String.format(Locale.ROOT, "%.1f,%.1f ", x1, y(Math.min(b.measuredLoss(), lossMax), lossMax,
                        lossTop, lossBottom)));
            }
            if (Double.isNaN(b.copies())) {
                continue; // unknown: the line skips the bucket
            }
            double yc = y(b.copies(), copiesMax, copiesTop, copiesBottom);
            copies.append(String.format(Locale.ROOT, "%.1f,%.1f %.1f,%.1f ", x0, yc, x1, yc));
        }
        if (measured.length() > 0) {
            s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                    measured.toString().trim(), MEASURED_COLOUR));
        }
        s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"/>%n",
                copies.toString().trim(), COPIES_COLOUR));
        if (!Double.isNaN(eventMillis)) {
            double x = x(eventMillis, tMax);
            s.append(line(x, lossTop - 6, x, copiesBottom, "#555", 1.2, "5 4"));
            s.append(text(x + 4, lossTop + 6, "start", "path turns lossy", "#555", ""));
        }
        s.append(line(LEFT, lossBottom, WIDTH - RIGHT, lossBottom, "#333", 1, null));
        s.append(line(LEFT, copiesBottom, WIDTH - RIGHT, copiesBottom, "#333", 1, null));

        int lx = LEFT + 14;
        int ly = lossTop + 20;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"292\" height=\"42\" fill=\"white\" "
                + "fill-opacity=\"0.9\" stroke=\"#999\"/>%n", lx - 8, ly - 14));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"10\" fill=\"%s\"/>%n",
                lx, ly - 9, LOSS_COLOUR));
        s.append(text(lx + 26, ly, "start", "datagrams lost in the bucket", "#222", ""));
        s.append(line(lx, ly + 14, lx + 18, ly + 14, MEASURED_COLOUR, 2, null));
        s.append(text(lx + 26, ly + 18, "start", "loss the client measured (server's reports)", "#222", ""));
        s.append("</svg>\n");
        return s.toString();
    }

    private static double x(double millis, double tMax) {
        return LEFT + (WIDTH - LEFT - RIGHT) * millis / tMax;
    }

    private static double y(double value, double max, int top, int bottom) {
        return bottom - (bottom - top) * Math.max(0, value) / max;
    }

    private static String vertical(String label, double y) {
        return String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">"
                + "%s</text>%n", y, y, label);
    }

    private static String line(double x1, double y1, double x2, double y2, String colour, double width, String dash) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        + "stroke-width=\"%.1f\"%s/>%n", x1, y1, x2, y2, colour, width,
                dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
    }

    private static String text(double x, double y, String anchor, String content, String colour, String extra) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\"%s>%s</text>%n",
                x, y, anchor, colour, extra, content.replace("&", "&amp;").replace("<", "&lt;"));
    }
}
