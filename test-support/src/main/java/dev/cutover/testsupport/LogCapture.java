package dev.cutover.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Captures what slf4j-simple writes while it is open: the test build logs to {@code System.err},
 * which slf4j-simple looks up on every line, so swapping the stream captures the lines (they are
 * still written to the real stream too). Not for tests running in parallel.
 */
public final class LogCapture implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    public LogCapture() {
        OutputStream tee = new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (captured) {
                    captured.write(b);
                }
                original.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                synchronized (captured) {
                    captured.write(bytes, offset, length);
                }
                original.write(bytes, offset, length);
            }
        };
        System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
    }

    /** @return the lines logged so far */
    public List<String> lines() {
        synchronized (captured) {
            return Arrays.asList(captured.toString(StandardCharsets.UTF_8).split("\\R"));
        }
    }

    /**
     * @param level e.g. {@code "ERROR"}
     * @param parts texts the line must contain
     * @return the first line at that level containing every part, or null
     */
    public String find(String level, String... parts) {
        for (String line : lines()) {
            if (line.contains(level) && Arrays.stream(parts).allMatch(line::contains)) {
                return line;
            }
        }
        return null;
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
