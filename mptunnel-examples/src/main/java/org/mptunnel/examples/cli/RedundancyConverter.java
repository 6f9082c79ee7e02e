package org.mptunnel.examples.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mptunnel.Redundancy;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converts {@code --redundancy}: {@code all} (every datagram on every path), {@code adaptive} (the
 * library's default target) or {@code adaptive:TARGET}, the target a joint one-way loss as a
 * fraction ({@code 0.001}) or a percentage ({@code 0.1%}), above 0 and below 1; or
 * {@code fec:K:M[:DEADLINE]}, forward error correction with m repairs per k datagrams and a group
 * deadline ({@code 5ms} by default); or {@code fec-adaptive[:TARGET[:DEADLINE]]}, forward error
 * correction whose code rate follows the paths' measured loss to meet a target ({@code 0.001} by
 * default, written as adaptive's), with fec's group deadline.
 */
public final class RedundancyConverter implements ITypeConverter<Redundancy> {

    /** A plain decimal number, an exponent allowed, then an optional percent sign. */
    private static final Pattern TARGET = Pattern.compile("((?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:e[-+]?\\d+)?)(%)?");

    @Override
    public Redundancy convert(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("all")) {
            return Redundancy.ALL_PATHS;
        }
        if (v.equals("adaptive")) {
            return Redundancy.adaptive();
        }
        if (v.equals("fec-adaptive")) {
            return Redundancy.fecAdaptive(Redundancy.DEFAULT_TARGET_LOSS);
        }
        if (v.startsWith("fec-adaptive:")) {
            return fecAdaptive(value, v.substring("fec-adaptive:".length()));
        }
        if (v.startsWith("fec:")) {
            return fec(value, v.substring("fec:".length()));
        }
        if (!v.startsWith("adaptive:")) {
            throw new TypeConversionException("'" + value
                    + "' is not a redundancy: give all, adaptive[:TARGET], fec:K:M[:DEADLINE] or fec-adaptive[:TARGET[:DEADLINE]]");
        }
        return Redundancy.adaptive(target(value, v.substring("adaptive:".length()), "adaptive"));
    }

    /** @return the loss {@code target} (of {@code mode}:TARGET) says, checked to be above 0 and below 1 */
    private static double target(String value, String target, String mode) {
        Matcher m = TARGET.matcher(target);
        double loss = m.matches() ? Double.parseDouble(m.group(1)) / (m.group(2) != null ? 100 : 1) : Double.NaN;
        if (!(loss > 0 && loss < 1)) {
            throw new TypeConversionException("'" + value + "': the " + mode + " target must be a loss above 0 and"
                    + " below 1, e.g. " + mode + ":0.001 or " + mode + ":0.1%");
        }
        return loss;
    }

    /** {@code TARGET[:DEADLINE]} of {@code fec-adaptive:}: each checked with the limits in the message. */
    private static Redundancy fecAdaptive(String value, String rest) {
        int colon = rest.indexOf(':');
        double target = target(value, colon < 0 ? rest : rest.substring(0, colon), "fec-adaptive");
        if (colon < 0) {
            return Redundancy.fecAdaptive(target);
        }
        Duration deadline = new DurationConverter().convert(rest.substring(colon + 1));
        try {
            return Redundancy.fecAdaptive(target, deadline);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + value + "': " + e.getMessage());
        }
    }

    /** {@code K:M[:DEADLINE]} of {@code fec:}: each checked with the limits in the message. */
    private static Redundancy fec(String value, String rate) {
        String[] parts = rate.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || !parts[0].matches("\\d{1,3}") || !parts[1].matches("\\d{1,3}")) {
            throw new TypeConversionException("'" + value + "': give fec:K:M or fec:K:M:DEADLINE, K data datagrams"
                    + " per group (1 to " + Redundancy.MAX_FEC_DATA + ") and M repair datagrams (1 to "
                    + Redundancy.MAX_FEC_REPAIR + "), e.g. fec:8:4 or fec:8:4:2ms");
        }
        Duration deadline = parts.length == 3 ? new DurationConverter().convert(parts[2])
                : Duration.ofMillis(Redundancy.DEFAULT_FEC_DEADLINE_MILLIS);
        try {
            return Redundancy.fec(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), deadline);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + value + "': " + e.getMessage());
        }
    }

    /** @return a redundancy the way a user would write it */
    public static String format(Redundancy redundancy) {
        if (redundancy.isFecAdaptive()) {
            return String.format(Locale.ROOT, "adaptive FEC, target %s, group deadline %s",
                    StatsReport.percent(redundancy.targetLoss()), DurationConverter.format(redundancy.groupDeadline()));
        }
        if (redundancy.isFec()) {
            return String.format(Locale.ROOT, "FEC %d:%d, group deadline %s", redundancy.groupData(),
                    redundancy.groupRepair(), DurationConverter.format(redundancy.groupDeadline()));
        }
        return redundancy.isAdaptive()
                ? String.format(Locale.ROOT, "adaptive, target %s", StatsReport.percent(redundancy.targetLoss()))
                : "every path";
    }
}
