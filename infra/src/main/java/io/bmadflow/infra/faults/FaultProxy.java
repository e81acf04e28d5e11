package io.bmadflow.infra.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on 127.0.0.1 that forwards every connection to one target, byte for byte, and
 * injects network faults on demand: the tool of recovery drills.
 *
 * <p>A drill puts it between a worker and Temporal (gRPC over HTTP/2) or between a worker and S3
 * (HTTP/1.1), points the client at {@link #address()} or {@link #endpoint()}, and then breaks the
 * network under a running workflow. The proxy understands no protocol: each accepted connection
 * gets its own connection to the target and two pump threads copy bytes, one per direction, so
 * anything over TCP passes unchanged. An end of stream on one side is passed on as a half-close
 * ({@code shutdownOutput}) to the other, and a reset on one side becomes a reset on the other.
 *
 * <p>The faults, and what a client sees:
 *
 * <ul>
 *   <li>{@link #cut()}: the server went away. Every open connection is closed abortively on both
 *       sides (SO_LINGER 0, so a TCP reset is sent): a client blocked in a read or making its next
 *       write gets "Connection reset" (a {@link java.net.SocketException}; gRPC reports {@code
 *       UNAVAILABLE}, the AWS SDK an {@code SdkClientException}), or end of stream if it only
 *       reads after the reset was absorbed. The target sees its connections reset too. New
 *       connections are refused at once ({@link java.net.ConnectException} "Connection refused",
 *       no timeout), because the listening socket is closed; the port stays reserved by a
 *       bound, non-listening socket, so no other program and no outgoing connection can take it
 *       meanwhile.
 *   <li>{@link #blackhole()}: a partition that drops packets. Connections stay open but nothing
 *       moves: each pump holds the chunk it has read and stops reading, so the sender's writes
 *       succeed until the TCP buffers fill and then block. A client sees no error at all, only
 *       silence, until its own read timeout, deadline or keepalive gives up. New connections are
 *       accepted (the connect succeeds) but are not connected to the target until the partition
 *       ends. Held bytes (and a half-close) are not thrown away: after {@link #restore()} they
 *       flow in order, as TCP retransmission would deliver them when a real partition heals, so a
 *       client that kept waiting simply continues. gRPC reports {@code DEADLINE_EXCEEDED} once a
 *       call's deadline passes.
 *   <li>{@link #delay(Duration)}: a slow link. Each chunk read is written to the other side no
 *       earlier than the delay after it was read, in both directions, so a request-response
 *       round trip takes at least twice the delay longer. A pump does not read while it waits,
 *       so throughput is at most one read buffer ({@value #BUFFER_SIZE} bytes) per delay per
 *       direction: this models a slow, high-latency link, not a fast long-distance one. A new
 *       connection reaches the target one delay late as well. {@code delay(Duration.ZERO)}
 *       removes the delay; chunks already waiting are released at once.
 *   <li>{@link #restore()}: back to normal. After a cut the proxy listens again on the same port
 *       (connections cut stay gone: clients must reconnect, which they do on their own); after a
 *       blackhole held bytes flow again. The delay is kept: it is its own setting.
 * </ul>
 *
 * <p>Threads: a cached pool of daemon threads named {@code fault-proxy-<port>-<n>}, one accepting
 * and two per open connection. {@link #close()} stops listening, resets every connection and
 * returns only when all of its threads have ended; the port is then free again. Normal cuts and
 * closes log at debug only.
 *
 * <p>Limits: it listens on loopback only and is meant for tests and drills, never for production
 * traffic. The target host name is resolved again for each new connection.
 */
public final class FaultProxy implements AutoCloseable {
  /** The size of each pump's read buffer: the largest chunk forwarded at once. */
  public static final int BUFFER_SIZE = 64 * 1024;

  /** How long a connection to the target may take before the client's connection is reset. */
  static final int TARGET_CONNECT_TIMEOUT_MILLIS = 10_000;

  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final long RESERVE_PATIENCE_MILLIS = 1_000;
  private static final long REBIND_PATIENCE_MILLIS = 5_000;
  private static final long CLOSE_PATIENCE_MILLIS = 5_000;

  /** What the proxy does with traffic now. */
  public enum Mode {
    /** Connections are accepted and bytes forwarded (possibly with a {@linkplain #delay() delay}). */
    FORWARDING,
    /** Open connections were reset and new ones are refused; see {@link FaultProxy#cut()}. */
    CUT,
    /** Connections stay open but no byte moves; see {@link FaultProxy#blackhole()}. */
    BLACKHOLED
  }

  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final ExecutorService threads;
  private final Set<Thread> liveThreads = ConcurrentHashMap.newKeySet();

  /** Guards the fields below it; also the monitor pumps wait on (blackhole, delay). */
  private final Object lock = new Object();
  private ServerSocket listener;
  private Socket portReservation;
  private final Set<Connection> connections = new LinkedHashSet<>();
  private volatile Mode mode = Mode.FORWARDING;
  private volatile long delayNanos;
  private volatile boolean closed;

  private final AtomicLong connectionsAccepted = new AtomicLong();
  private final AtomicLong connectionsCut = new AtomicLong();
  private final AtomicLong bytesForwarded = new AtomicLong();
  private final AtomicLong connectionIds = new AtomicLong();

  private FaultProxy(ServerSocket listener, String targetHost, int targetPort) {
    this.listener = listener;
    this.port = listener.getLocalPort();
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.threads = Executors.newCachedThreadPool(new PumpThreads("fault-proxy-" + port + "-"));
  }

  /**
   * Starts a proxy on any free port of 127.0.0.1 that forwards to {@code targetHost:targetPort}.
   *
   * @throws IOException when no port can be bound
   */
  public static FaultProxy start(String targetHost, int targetPort) throws IOException {
    return start(0, targetHost, targetPort);
  }

  /**
   * Starts a proxy on {@code 127.0.0.1:listenPort} that forwards to {@code
   * targetHost:targetPort}. The target need not be up yet: connections made while it is down are
   * reset.
   *
   * @param listenPort the port to listen on, or 0 for any free port
   * @throws IOException when the port cannot be bound, for example because it is taken
   */
  public static FaultProxy start(int listenPort, String targetHost, int targetPort) throws IOException {
    Objects.requireNonNull(targetHost, "targetHost");
    if (listenPort < 0 || listenPort > 65_535 || targetPort <= 0 || targetPort > 65_535) {
      throw new IllegalArgumentException(
          "fault proxy: ports must be in 1..65535 (listen port 0 = any), got listen " + listenPort
              + " and target " + targetPort);
    }
    ServerSocket listener = listen(listenPort);
    FaultProxy proxy = new FaultProxy(listener, targetHost, targetPort);
    proxy.startAccepting(listener);
    log.debug("fault proxy {} -> {} started", proxy.address(), proxy.target());
    return proxy;
  }

  /** The local port; the same for the proxy's whole life, across cuts. */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:<port>}: what a gRPC client (Temporal) is given as its target. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** {@code http://127.0.0.1:<port>}: what an HTTP client (S3) is given as its endpoint. */
  public URI endpoint() {
    return URI.create("http://" + address());
  }

  /** {@code <host>:<port>} of the target. */
  public String target() {
    return targetHost + ":" + targetPort;
  }

  /** The fault in force now ({@link Mode#FORWARDING} when none, apart from a delay). */
  public Mode mode() {
    return mode;
  }

  /** The delay added to every forwarded chunk; {@link Duration#ZERO} when none. */
  public Duration delay() {
    return Duration.ofNanos(delayNanos);
  }

  /** Connections accepted and forwarded (or held, during a blackhole) since the start. */
  public long connectionsAccepted() {
    return connectionsAccepted.get();
  }

  /** Open connections that {@link #cut()} reset, summed over every cut. */
  public long connectionsCut() {
    return connectionsCut.get();
  }

  /** Bytes written to either side, both directions summed. */
  public long bytesForwarded() {
    return bytesForwarded.get();
  }

  /**
   * Resets every open connection on both sides and refuses new ones until {@link #restore()} (or
   * {@link #blackhole()}). Calling it while already cut does nothing.
   *
   * @throws IllegalStateException when the proxy is closed
   */
  public void cut() {
    List<Connection> cut;
    synchronized (lock) {
      requireOpen();
      if (mode == Mode.CUT) {
        return;
      }
      mode = Mode.CUT;
      closeQuietly(listener);
      listener = null;
      cut = new ArrayList<>(connections);
      connections.clear();
      connectionsCut.addAndGet(cut.size());
      for (Connection connection : cut) {
        connection.abort();
      }
      lock.notifyAll();
    }
    Socket reservation = reservePort();
    synchronized (lock) {
      if (mode == Mode.CUT && !closed && listener == null && portReservation == null) {
        portReservation = reservation;
      } else {
        closeQuietly(reservation); // Restored or closed meanwhile.
      }
    }
    log.debug("fault proxy {}: cut, {} connection(s) reset, new connections refused", address(), cut.size());
  }

  /**
   * Holds every byte in both directions, on open and new connections, until {@link #restore()}.
   * After a cut, the proxy listens again first. Calling it while already blackholed does nothing.
   *
   * @throws IllegalStateException when the proxy is closed
   * @throws UncheckedIOException when, after a cut, the port cannot be bound again
   */
  public void blackhole() {
    synchronized (lock) {
      requireOpen();
      if (mode == Mode.CUT) {
        relisten();
      }
      mode = Mode.BLACKHOLED;
      lock.notifyAll();
    }
    log.debug("fault proxy {}: blackholed, bytes held", address());
  }

  /**
   * Ends a cut or a blackhole: listens again on the same port and forwards again. The delay, if
   * any, stays. Calling it while forwarding does nothing.
   *
   * @throws IllegalStateException when the proxy is closed
   * @throws UncheckedIOException when, after a cut, the port cannot be bound again within a few
   *     seconds
   */
  public void restore() {
    Mode before;
    synchronized (lock) {
      requireOpen();
      before = mode;
      if (before == Mode.CUT) {
        relisten();
      }
      mode = Mode.FORWARDING;
      lock.notifyAll();
    }
    if (before != Mode.FORWARDING) {
      log.debug("fault proxy {}: restored after {}", address(), before);
    }
  }

  /**
   * Adds {@code delay} to every chunk forwarded from now on, in both directions; {@link
   * Duration#ZERO} removes it. Chunks already waiting are re-timed to the new delay.
   *
   * @throws IllegalArgumentException when {@code delay} is negative
   */
  public void delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("fault proxy " + address() + ": a delay cannot be negative, got " + delay);
    }
    synchronized (lock) {
      delayNanos = delay.toNanos();
      lock.notifyAll();
    }
    log.debug("fault proxy {}: delay {} per chunk", address(), delay);
  }

  /**
   * Stops listening, resets every connection, and waits for all of the proxy's threads to end.
   * The port is free when it returns. Idempotent.
   */
  @Override
  public void close() {
    List<Connection> open;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      closeQuietly(listener);
      listener = null;
      closeQuietly(portReservation);
      portReservation = null;
      open = new ArrayList<>(connections);
      connections.clear();
      for (Connection connection : open) {
        connection.abort();
      }
      lock.notifyAll();
    }
    threads.shutdownNow();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_PATIENCE_MILLIS);
    try {
      if (!threads.awaitTermination(CLOSE_PATIENCE_MILLIS, TimeUnit.MILLISECONDS)) {
        log.warn("fault proxy {}: threads still running {} ms after close", address(), CLOSE_PATIENCE_MILLIS);
      }
      // A pool thread counts as gone a moment before it really ends; wait for the end itself.
      for (Thread thread : List.copyOf(liveThreads)) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left > 0) {
          thread.join(left);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.debug("fault proxy {}: closed after {} connection(s), {} byte(s)", address(), connectionsAccepted(), bytesForwarded());
  }

  @Override
  public String toString() {
    return "FaultProxy[" + address() + " -> " + target() + ", " + mode + ", delay " + delay() + "]";
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("fault proxy " + address() + " is closed; start a new one");
    }
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(LOOPBACK, port), 128);
      return socket;
    } catch (IOException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  /**
   * Holds the port during a cut with a bound socket that does not listen: connections to it are
   * refused, yet the port cannot be given to anyone else, not even as the local port of an
   * outgoing connection (which on loopback could even connect to itself).
   */
  private Socket reservePort() {
    // The old listener really closes only when its accept() returns on the acceptor thread, a
    // moment after close(); until then the port is still taken by it.
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RESERVE_PATIENCE_MILLIS);
    while (true) {
      Socket reservation = new Socket();
      try {
        reservation.setReuseAddress(true);
        reservation.bind(new InetSocketAddress(LOOPBACK, port));
        return reservation;
      } catch (IOException e) {
        closeQuietly(reservation);
        if (!(e instanceof BindException) || System.nanoTime() > deadline || closed) {
          log.debug("fault proxy {}: port not reserved during the cut ({}); restore() binds it again", address(), e.toString());
          return null;
        }
        sleepQuietly(5);
      }
    }
  }

  /** Releases the reservation and listens on the same port again. Called with the lock held. */
  private void relisten() {
    closeQuietly(portReservation);
    portReservation = null;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REBIND_PATIENCE_MILLIS);
    while (true) {
      try {
        ServerSocket socket = listen(port);
        listener = socket;
        startAccepting(socket);
        return;
      } catch (BindException busy) {
        if (System.nanoTime() > deadline) {
          throw new UncheckedIOException(
              "fault proxy " + address() + ": cannot listen on port " + port + " again after the cut ("
                  + busy.getMessage() + "); another program took it; start a new FaultProxy and point the client at it",
              busy);
        }
        sleepQuietly(20);
      } catch (IOException e) {
        throw new UncheckedIOException("fault proxy " + address() + ": cannot listen again after the cut: " + e.getMessage(), e);
      }
    }
  }

  private void startAccepting(ServerSocket socket) {
    threads.execute(() -> acceptLoop(socket));
  }

  private void acceptLoop(ServerSocket socket) {
    while (true) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException e) {
        if (socket.isClosed()) {
          return; // Cut or closed: the normal way out.
        }
        log.warn("fault proxy {}: accept failed, retrying: {}", address(), e.toString());
        sleepQuietly(50);
        continue;
      }
      Connection connection = new Connection(connectionIds.incrementAndGet(), client);
      synchronized (lock) {
        if (closed || mode == Mode.CUT) {
          connection.abort();
          continue;
        }
        connections.add(connection);
      }
      connectionsAccepted.incrementAndGet();
      try {
        threads.execute(connection::connectAndPump);
      } catch (RejectedExecutionException stopping) {
        forget(connection);
        connection.abort();
      }
    }
  }

  private void forget(Connection connection) {
    synchronized (lock) {
      connections.remove(connection);
    }
  }

  /**
   * Waits until a chunk read at {@code readAtNanos} may be written: not while blackholed, and not
   * before the delay has passed. Returns false when the connection ended meanwhile.
   */
  private boolean awaitTurn(Connection connection, long readAtNanos) throws InterruptedException {
    if (mode == Mode.FORWARDING && delayNanos == 0) {
      return !connection.aborted;
    }
    synchronized (lock) {
      while (true) {
        if (connection.aborted || closed) {
          return false;
        }
        if (mode == Mode.BLACKHOLED) {
          lock.wait();
          continue;
        }
        long wait = readAtNanos + delayNanos - System.nanoTime();
        if (wait <= 0) {
          return true;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, wait);
      }
    }
  }

  /** One client connection, its connection to the target, and the two pumps between them. */
  private final class Connection {
    private final long id;
    private final Socket client;
    private final Socket upstream = new Socket();
    private volatile boolean aborted;
    private final AtomicInteger pumpsRunning = new AtomicInteger(2);

    Connection(long id, Socket client) {
      this.id = id;
      this.client = client;
    }

    /** Runs on a pool thread: connects to the target, then pumps client to target. */
    void connectAndPump() {
      try {
        if (!awaitTurn(this, System.nanoTime())) {
          end();
          return;
        }
        upstream.connect(new InetSocketAddress(targetHost, targetPort), TARGET_CONNECT_TIMEOUT_MILLIS);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
      } catch (IOException e) {
        if (!aborted) {
          log.debug("fault proxy {}: connection {}: target {} unreachable, resetting the client: {}", address(), id, target(), e.toString());
        }
        failed();
        return;
      } catch (InterruptedException e) {
        failed();
        return;
      }
      try {
        threads.execute(() -> pump(upstream, client, "target->client"));
      } catch (RejectedExecutionException stopping) {
        failed();
        return;
      }
      pump(client, upstream, "client->target");
    }

    private void pump(Socket from, Socket to, String direction) {
      byte[] buffer = new byte[BUFFER_SIZE];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (true) {
          int n = in.read(buffer);
          if (n < 0) {
            // The end of stream is held and delayed like the bytes before it.
            if (awaitTurn(this, System.nanoTime())) {
              to.shutdownOutput();
            }
            break;
          }
          if (!awaitTurn(this, System.nanoTime())) {
            break;
          }
          out.write(buffer, 0, n);
          bytesForwarded.addAndGet(n);
        }
        pumpDone();
      } catch (IOException e) {
        if (!aborted) {
          log.debug("fault proxy {}: connection {} {} ended: {}", address(), id, direction, e.toString());
        }
        failed();
      } catch (InterruptedException e) {
        failed();
      }
    }

    /** A pump saw end of stream: when both have, the connection is over. */
    private void pumpDone() {
      if (pumpsRunning.decrementAndGet() == 0 || aborted) {
        end();
      }
    }

    /** The connection broke: reset both sides, so each peer learns it as its own peer would. */
    private void failed() {
      abort();
      forget(this);
    }

    /** Closes both sockets gracefully after both directions ended. */
    private void end() {
      forget(this);
      closeQuietly(client);
      closeQuietly(upstream);
    }

    /** Closes both sockets abortively (a TCP reset), waking a pump that waits for its turn. */
    void abort() {
      aborted = true;
      resetQuietly(client);
      resetQuietly(upstream);
      synchronized (lock) {
        lock.notifyAll();
      }
    }
  }

  /** Daemon threads for the pool, tracked so that {@link #close()} can wait for their end. */
  private final class PumpThreads implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();

    PumpThreads(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public Thread newThread(Runnable work) {
      Thread thread = new Thread(() -> {
        try {
          work.run();
        } finally {
          liveThreads.remove(Thread.currentThread());
        }
      }, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      liveThreads.add(thread);
      return thread;
    }
  }

  private static void resetQuietly(Socket socket) {
    if (socket.isClosed()) {
      return;
    }
    try {
      if (socket.isConnected()) {
        socket.setSoLinger(true, 0);
      }
    } catch (IOException ignored) {
      // Closing below is what matters; without linger 0 the peer sees an end of stream instead.
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception ignored) {
      // Nothing to do: the socket is gone either way.
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
