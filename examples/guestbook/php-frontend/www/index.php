<?php
// The guestbook: a message board whose writes go to the Redis master and whose reads come from the
// replicas, each found the way seed 004 configures it: GET_HOSTS_FROM=env uses the Service environment
// variables the kubelet injects (REDIS_MASTER_SERVICE_HOST, REDIS_SLAVE_SERVICE_HOST), anything else
// uses the Services' DNS names. The same page answers JSON at /guestbook.php for scripts and tests.

function redis_host(string $service): string {
    if (getenv('GET_HOSTS_FROM') === 'env') {
        $var = strtoupper(str_replace('-', '_', $service)) . '_SERVICE_HOST';
        $host = getenv($var);
        if ($host === false || $host === '') {
            throw new RuntimeException("$var is not set: create the $service Service before this pod");
        }
        return $host;
    }
    return $service;
}

function connect(string $service): Redis {
    $redis = new Redis();
    $redis->connect(redis_host($service), 6379, 2.0);
    return $redis;
}

function messages(): array {
    return connect('redis-slave')->lRange('messages', 0, -1) ?: [];
}

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
try {
    if ($path === '/guestbook.php') {
        header('Content-Type: application/json');
        $cmd = $_GET['cmd'] ?? 'get';
        if ($cmd === 'set') {
            $length = connect('redis-master')->rPush('messages', (string)($_GET['value'] ?? ''));
            echo json_encode(['message' => 'Updated', 'count' => $length]), "\n";
        } else {
            echo json_encode(['data' => messages(), 'from' => redis_host('redis-slave')]), "\n";
        }
        return;
    }
    if ($_SERVER['REQUEST_METHOD'] === 'POST') {
        $text = trim((string)($_POST['message'] ?? ''));
        if ($text !== '') {
            connect('redis-master')->rPush('messages', $text);
        }
        header('Location: /', true, 303);
        return;
    }
    $list = messages();
} catch (Throwable $err) {
    http_response_code(503);
    header('Content-Type: text/plain');
    echo 'guestbook: ', $err->getMessage(), "\n";
    return;
}
?>
<!doctype html>
<html>
<head><meta charset="utf-8"><title>Guestbook</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}li{margin:.3em 0}</style></head>
<body>
<h1>Guestbook</h1>
<form method="post" action="/">
  <input name="message" placeholder="Leave a message" autofocus> <button>Submit</button>
</form>
<ul>
<?php foreach ($list as $m): ?>
  <li><?= htmlspecialchars($m) ?></li>
<?php endforeach; ?>
</ul>
<p><small>served by <?= htmlspecialchars(gethostname()) ?>, read from <?= htmlspecialchars(redis_host('redis-slave')) ?></small></p>
</body>
</html>
