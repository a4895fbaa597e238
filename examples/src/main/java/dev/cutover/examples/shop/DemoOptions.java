package dev.cutover.examples.shop;

import java.time.Duration;
import java.util.Map;

/**
 * The demo's command line: {@code --source-url URL}, {@code --target-url URL} (JDBC URLs with
 * credentials as parameters; default: embedded H2, the source in MySQL mode as the "legacy"
 * database), {@code --duration SECONDS} (default 40), {@code --threads N} (default 4). The URLs can
 * also come from {@code CUTOVER_DEMO_SOURCE_URL} and {@code CUTOVER_DEMO_TARGET_URL}.
 */
record DemoOptions(String sourceUrl, String targetUrl, Duration duration, int threads) {
    static DemoOptions parse(String[] args, Map<String, String> env) {
        // A fresh pair of in-memory databases per run, so that runs in one JVM (tests) never meet.
        String run = Long.toString(System.nanoTime(), 36);
        String source = env.getOrDefault("CUTOVER_DEMO_SOURCE_URL",
                "jdbc:h2:mem:shop_legacy_" + run + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
        String target = env.getOrDefault("CUTOVER_DEMO_TARGET_URL", "jdbc:h2:mem:shop_new_" + run + ";DB_CLOSE_DELAY=-1");
        long seconds = 40;
        int threads = 4;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value. " + usage());
            }
            String value = args[++i];
            switch (option) {
                case "--source-url":
                    source = value;
                    break;
                case "--target-url":
                    target = value;
                    break;
                case "--duration":
                    seconds = parsePositive(option, value, 10, 86_400);
                    break;
                case "--threads":
                    threads = (int) parsePositive(option, value, 1, 64);
                    break;
                default:
                    throw new IllegalArgumentException("Unknown option " + option + ". " + usage());
            }
        }
        return new DemoOptions(source, target, Duration.ofSeconds(seconds), threads);
    }

    private static long parsePositive(String option, String value, long min, long max) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // Reported below with the allowed range.
        }
        throw new IllegalArgumentException(option + " must be a whole number from " + min + " to " + max + ", but was '" + value + "'");
    }

    static String usage() {
        return "Usage: ShopDemo [--source-url JDBC_URL] [--target-url JDBC_URL] [--duration SECONDS] [--threads N]";
    }
}
