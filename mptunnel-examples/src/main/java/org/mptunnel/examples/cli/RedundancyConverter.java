package org.mptunnel.examples.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mptunnel.Redundancy;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converts {@code --redundancy}: {@code all} (every datagram on every path), {@code adaptive} (the
 * library's default target) or {@code adaptive:TARGET}, the target a joint one-way loss as a
 * fraction ({@code 0.001}) or a percentage ({@code 0.1%}), above 0 and below 1.
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
        if (!v.startsWith("adaptive:")) {
            throw new TypeConversionException("'" + value + "' is not a redundancy: give all, adaptive or adaptive:TARGET");
        }
        String target = v.substring("adaptive:".length());
        Matcher m = TARGET.matcher(target);
        double loss = m.matches() ? Double.parseDouble(m.group(1)) / (m.group(2) != null ? 100 : 1) : Double.NaN;
        if (!(loss > 0 && loss < 1)) {
            throw new TypeConversionException("'" + value + "': the adaptive target must be a loss above 0 and below 1,"
                    + " e.g. adaptive:0.001 or adaptive:0.1%");
        }
        return Redundancy.adaptive(loss);
    }

    /** @return a redundancy the way a user would write it */
    public static String format(Redundancy redundancy) {
        return redundancy.isAdaptive()
                ? String.format(Locale.ROOT, "adaptive, target %s", StatsReport.percent(redundancy.targetLoss()))
                : "every path";
    }
}
