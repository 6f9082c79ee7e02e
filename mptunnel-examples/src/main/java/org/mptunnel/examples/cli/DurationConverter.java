package org.mptunnel.examples.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Converts {@code 200ms}, {@code 1.5s} or {@code 2m} to a duration; the unit is required, so no guessing. */
public final class DurationConverter implements ITypeConverter<Duration> {

    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)");

    @Override
    public Duration convert(String value) {
        Matcher m = FORM.matcher(value.trim());
        if (!m.matches()) {
            throw new TypeConversionException("'" + value + "' is not a duration: give a unit, e.g. 200ms, 1.5s or 2m");
        }
        double amount = Double.parseDouble(m.group(1));
        double millis = switch (m.group(2)) {
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            default -> amount * 60_000;
        };
        if (millis > Long.MAX_VALUE / 2_000_000.0) {
            throw new TypeConversionException("'" + value + "' is too long");
        }
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    /** @return a duration the way a user would write it */
    public static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1_000 == 0 ? (ms / 1_000) + "s" : ms + "ms";
    }
}
