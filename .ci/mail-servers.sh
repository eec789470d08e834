#!/usr/bin/env bash
# Starts real mail servers for the probe tests, on 127.0.0.1 only: Debian's postfix (SMTP on port
# 2525) and dovecot (IMAP on port 1143), with two virtual domains and Maildirs under
# /var/mail/vhosts:
#   auditor@audit.test   the auditor's mailbox (plus-addressing: auditor+TOKEN@audit.test)
#   service@company.test a test company's mailbox
# Both accounts log in to IMAP with the password "reachaudit-test". The fixture shop's published
# address service@acme-shop.de is an alias of the company mailbox, so a probe planned from the
# fixture site lands there. Postfix delivers only to these domains and refuses everything else
# (default_transport = error): nothing ever leaves the machine.
# TLS with a test CA made here (/etc/reachaudit-test/ca.pem, for 127.0.0.1 and localhost):
# STARTTLS on 2525, SMTPS on 4465, IMAPS on 1993, next to plain IMAP on 1143.
# Idempotent: running it again reconfigures and restarts.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
MARKER=/etc/reachaudit-test/configured
# A mail server this script did not set up is somebody's real one: rewriting it would silently
# break that machine's mail. Refuse, unless told to take it over.
if command -v postfix >/dev/null 2>&1 && [ ! -e "$MARKER" ] && [ "${REACHAUDIT_MAIL_TAKEOVER:-}" != 1 ]; then
  echo "mail-servers.sh: postfix is already installed and was not set up by reachaudit; it would be reconfigured for local test delivery only. Run with REACHAUDIT_MAIL_TAKEOVER=1 to allow that (CI machines start without postfix)." >&2
  exit 1
fi
packages=()
command -v postfix >/dev/null 2>&1 || packages+=(postfix)
command -v dovecot >/dev/null 2>&1 || packages+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
if ((${#packages[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

VMAIL=/var/mail/vhosts
getent group vmail >/dev/null || $SUDO groupadd -g 5000 vmail
getent passwd vmail >/dev/null || $SUDO useradd -u 5000 -g vmail -d "$VMAIL" -s /usr/sbin/nologin vmail
$SUDO mkdir -p "$VMAIL"
$SUDO chown -R vmail:vmail "$VMAIL"

# --- a test CA and a server certificate for 127.0.0.1 --------------------------------------------
TLS=/etc/reachaudit-test
if [ ! -s "$TLS/server.pem" ] || [ ! -s "$TLS/ca.pem" ]; then
  $SUDO mkdir -p "$TLS"
  tmp=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=reachaudit test CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$tmp/ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -days 3650 -extfile "$tmp/ext" -out "$tmp/server.pem" 2>/dev/null
  $SUDO install -m 644 "$tmp/ca.pem" "$TLS/ca.pem"
  $SUDO install -m 644 "$tmp/server.pem" "$TLS/server.pem"
  $SUDO install -m 600 "$tmp/server.key" "$TLS/server.key"
  rm -rf "$tmp"
fi

# --- postfix -----------------------------------------------------------------------------------
$SUDO touch /etc/postfix/main.cf
$SUDO tee /etc/postfix/vmailbox >/dev/null <<'EOF'
auditor@audit.test   audit.test/auditor/
service@company.test company.test/service/
EOF
$SUDO postmap /etc/postfix/vmailbox
echo "service@acme-shop.de service@company.test" | $SUDO tee /etc/postfix/virtual >/dev/null
$SUDO postmap /etc/postfix/virtual
$SUDO postconf -e \
  "compatibility_level = 3.6" \
  "myhostname = mail.audit.test" \
  "mydestination =" \
  "inet_interfaces = loopback-only" \
  "inet_protocols = ipv4" \
  "mynetworks = 127.0.0.0/8" \
  "relayhost =" \
  "default_transport = error:reachaudit test server delivers only locally" \
  "relay_transport = error:reachaudit test server delivers only locally" \
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
  "virtual_mailbox_domains = audit.test, company.test" \
  "virtual_mailbox_base = $VMAIL" \
  "virtual_mailbox_maps = hash:/etc/postfix/vmailbox" \
  "virtual_alias_domains = acme-shop.de" \
  "virtual_alias_maps = hash:/etc/postfix/virtual" \
  "smtpd_tls_cert_file = $TLS/server.pem" \
  "smtpd_tls_key_file = $TLS/server.key" \
  "smtpd_tls_security_level = may" \
  "virtual_minimum_uid = 5000" \
  "virtual_uid_maps = static:5000" \
  "virtual_gid_maps = static:5000" \
  "recipient_delimiter = +" \
  "maillog_file = /var/log/postfix.log" \
  "smtputf8_enable = yes"
# Port 2525 next to 25, so tests need no privileged port knowledge.
if ! $SUDO postconf -M "2525/inet" >/dev/null 2>&1 || [ -z "$($SUDO postconf -M 2525/inet 2>/dev/null)" ]; then
  $SUDO postconf -M "2525/inet=2525 inet n - y - - smtpd"
fi
if [ -z "$($SUDO postconf -M 4465/inet 2>/dev/null)" ]; then
  $SUDO postconf -M "4465/inet=4465 inet n - y - - smtpd -o smtpd_tls_wrappermode=yes"
fi
$SUDO postfix check
# A full restart, not a reload: inet_interfaces and new listeners only take effect on start (and
# the package may have started postfix with its own defaults).
if $SUDO postfix status >/dev/null 2>&1; then
  $SUDO postfix stop
fi
$SUDO postfix start </dev/null >/dev/null 2>&1  # daemons must not hold our stdout open

# --- dovecot -----------------------------------------------------------------------------------
PASS=$($SUDO doveadm pw -s SHA512-CRYPT -p reachaudit-test)
$SUDO tee /etc/dovecot/reachaudit-users >/dev/null <<EOF
auditor@audit.test:$PASS
service@company.test:$PASS
EOF
$SUDO tee /etc/dovecot/local.conf >/dev/null <<EOF
# reachaudit test setup (.ci/mail-servers.sh): IMAP on 127.0.0.1:1143 only.
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$TLS/server.pem
ssl_key = <$TLS/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$VMAIL/%d/%n
first_valid_uid = 5000
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%u /etc/dovecot/reachaudit-users
}
userdb {
  driver = static
  args = uid=5000 gid=5000 home=$VMAIL/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 1143
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 1993
  }
}
EOF
# Restart for the same reason: listeners change only on start.
if pgrep -x dovecot >/dev/null; then
  $SUDO doveadm stop || true
  for _ in $(seq 1 50); do pgrep -x dovecot >/dev/null || break; sleep 0.1; done
fi
$SUDO dovecot </dev/null >/dev/null 2>&1

# --- wait until both answer ---------------------------------------------------------------------
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/1143) 2>/dev/null \
    && (exec 3<>/dev/tcp/127.0.0.1/4465) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/1993) 2>/dev/null; then
    $SUDO mkdir -p "$(dirname "$MARKER")" && $SUDO touch "$MARKER"
    echo "mail servers up: SMTP 127.0.0.1:2525 (STARTTLS) and 4465 (TLS), IMAP 127.0.0.1:1143 and 1993 (TLS); CA $TLS/ca.pem"
    exit 0
  fi
  sleep 0.2
done
echo "mail servers did not come up; see /var/log/postfix.log and journalctl/dovecot logs" >&2
exit 1
