#!/usr/bin/env bash
# Starts real mail servers for the probe tests, on 127.0.0.1 only: Debian's postfix (SMTP on port
# 2525) and dovecot (IMAP on port 1143), with two virtual domains and Maildirs under
# /var/mail/vhosts:
#   auditor@audit.test   the auditor's mailbox (plus-addressing: auditor+TOKEN@audit.test)
#   service@company.test a test company's mailbox
# Both accounts log in to IMAP with the password "reachaudit-test". Postfix delivers only to these
# two domains and refuses everything else (default_transport = error): nothing ever leaves the
# machine. Idempotent: running it again reconfigures and restarts.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
packages=()
command -v postfix >/dev/null 2>&1 || packages+=(postfix)
command -v dovecot >/dev/null 2>&1 || packages+=(dovecot-imapd)
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

# --- postfix -----------------------------------------------------------------------------------
$SUDO touch /etc/postfix/main.cf
$SUDO tee /etc/postfix/vmailbox >/dev/null <<'EOF'
auditor@audit.test   audit.test/auditor/
service@company.test company.test/service/
EOF
$SUDO postmap /etc/postfix/vmailbox
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
$SUDO postfix check
# A full restart, not a reload: inet_interfaces and new listeners only take effect on start (and
# the package may have started postfix with its own defaults).
if $SUDO postfix status >/dev/null 2>&1; then
  $SUDO postfix stop
fi
$SUDO postfix start

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
ssl = no
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
    port = 0
  }
}
EOF
# Restart for the same reason: listeners change only on start.
if pgrep -x dovecot >/dev/null; then
  $SUDO doveadm stop || true
  for _ in $(seq 1 50); do pgrep -x dovecot >/dev/null || break; sleep 0.1; done
fi
$SUDO dovecot

# --- wait until both answer ---------------------------------------------------------------------
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/1143) 2>/dev/null; then
    echo "mail servers up: SMTP 127.0.0.1:2525 (postfix), IMAP 127.0.0.1:1143 (dovecot)"
    exit 0
  fi
  sleep 0.2
done
echo "mail servers did not come up; see /var/log/postfix.log and journalctl/dovecot logs" >&2
exit 1
