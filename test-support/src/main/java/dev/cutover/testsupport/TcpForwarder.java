package dev.cutover.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP forwarder on a loopback port in front of a real database server, which a test can cut,
 * stall and slow down to play a network fault.
 *
 * <ul>
 *   <li>{@link #cut()}: resets every open connection and refuses new ones, like a server that went
 *       away. Clients see errors at once.
 *   <li>{@link #stall()}: keeps connections open but moves no bytes, like a partition. Clients see
 *       timeouts; after {@link #restore()} the held bytes flow on, nothing is lost.
 *   <li>{@link #delay(Duration)}: adds latency to every chunk forwarded in either direction.
 * </ul>
 *
 * Thread-safe. Only ever listens on and connects to loopback or the given test host.
 */
public final class TcpForwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpForwarder.class);

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final ExecutorService threads;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean refusing;
    private volatile boolean stalled;
    private volatile long delayNanos;
    private volatile boolean closed;

    private TcpForwarder(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tcp-forwarder-" + server.getLocalPort());
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    /**
     * Starts a forwarder on a free loopback port.
     *
     * @param host the server's host
     * @param port the server's port
     * @return the running forwarder
     */
    public static TcpForwarder start(String host, int port) {
        try {
            return new TcpForwarder(host, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a forwarder in front of a test database's server.
     *
     * @param database a database on a server engine
     * @return the running forwarder
     */
    public static TcpForwarder in(TestDatabase database) {
        return start(database.host(), database.port());
    }

    /** @return the loopback port clients connect to */
    public int port() {
        return server.getLocalPort();
    }

    /** @return how many client connections were accepted so far */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Resets every open connection and refuses new ones until {@link #restore()}. */
    public void cut() {
        refusing = true;
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        open.clear();
        LOG.info("Forwarder {} -> {}:{} cut", port(), targetHost, targetPort);
    }

    /** Stops moving bytes on every connection, open and new, until {@link #restore()}. */
    public void stall() {
        stalled = true;
        LOG.info("Forwarder {} -> {}:{} stalled", port(), targetHost, targetPort);
    }

    /**
     * Adds latency to every chunk forwarded in either direction.
     *
     * @param latency the latency; zero to remove it
     */
    public void delay(Duration latency) {
        delayNanos = latency.toNanos();
    }

    /** Ends a cut or a stall: new connections are accepted and held bytes flow again. */
    public void restore() {
        refusing = false;
        synchronized (gate) {
            stalled = false;
            gate.notifyAll();
        }
        LOG.info("Forwarder {} -> {}:{} restored", port(), targetHost, targetPort);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("Forwarder {} stopped accepting: {}", port(), e.getMessage());
                }
                return;
            }
            if (refusing) {
                resetQuietly(client);
                continue;
            }
            accepted.incrementAndGet();
            threads.execute(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket upstream = new Socket();
        try {
            upstream.connect(new InetSocketAddress(targetHost, targetPort), 2_000);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            resetQuietly(client);
            closeQuietly(upstream);
            return;
        }
        open.add(client);
        open.add(upstream);
        if (refusing) {
            cut();
            return;
        }
        threads.execute(() -> pump(client, upstream));
        threads.execute(() -> pump(upstream, client));
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                awaitFlow();
                long delay = delayNanos;
                if (delay > 0) {
                    Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // The other side or a cut closed the socket: the pair ends below.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(from);
            open.remove(to);
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void awaitFlow() throws InterruptedException {
        synchronized (gate) {
            while (stalled && !closed) {
                gate.wait(100);
            }
        }
    }

    private static void resetQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // Already closed: nothing to reset.
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing a broken socket has nothing left to report.
        }
    }

    @Override
    public void close() {
        closed = true;
        restore();
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("Forwarder {} close: {}", port(), e.getMessage());
        }
        cut();
        threads.shutdownNow();
    }
}
