"""A loopback TCP forwarder the tests can start and stop, to make a seed address appear and disappear.

Real nodes sit behind it; it only moves bytes. Stopping it closes the listener and every forwarded
connection, which to the exporter looks exactly like the seed node going away.
"""
import socket
import threading


class TCPProxy:
    def __init__(self, target_port, listen_port=0):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", listen_port))
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        self.stopped = threading.Event()
        self.thread = None

    def start(self):
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
            except OSError:
                client.close()
                continue
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self.stopped.set()
        if self.thread:
            self.thread.join()
        self.listener.close()
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
