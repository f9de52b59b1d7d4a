/* notaryd --repair-sign-state H (node.h): the documented way back from a
 * damaged or lost sign-state (docs/OPERATIONS.md, "The sign-state").
 *
 * nt_privval_repair itself only refuses to lower a good file. What it
 * cannot know is how far this validator may have signed, and a too-low H
 * re-opens heights it signed: that is a double signature waiting to
 * happen. The store is the local evidence: a validator holding block L
 * may have signed every height up to L (and L+1, if it was deciding it),
 * so H below L is refused. The store is opened for that, which also takes
 * its lock: a running node makes the repair fail instead of racing it. */
#include "node/node.h"
#include "node/passfile.h"

#include "core/kv.h"
#include "core/ledger.h"
#include "crypto/keys.h"
#include "node/config.h"
#include "node/genesis_file.h"
#include "node/kv_leveldb.h"
#include "node/log.h"
#include "node/privval.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
	nt_config cfg;
	nt_genesis g;
	nt_kv *kv;
	nt_ledger *ledger;
	int self;
} home_view;

static int refuse(const char *what, const nt_why *why, nt_err e)
{
	nt_log(NT_LOG_ERROR, "--repair-sign-state: %s: %s", what,
	       why->msg[0] ? why->msg : nt_strerror(e));
	return 1;
}

static int open_home(const char *home, home_view *v)
{
	nt_why why = {{0}};
	nt_err e;
	nt_seckey *key = NULL;
	if ((e = nt_config_load(home, &v->cfg, &why)) != NT_OK)
		return refuse("cannot load the configuration", &why, e);
	if ((e = nt_genesis_load(v->cfg.genesis_file, &v->g, &why)) != NT_OK)
		return refuse("cannot load the genesis file", &why, e);
	if ((e = nt_key_load(v->cfg.key_file, v->cfg.key_passphrase_file, &key, &why)) != NT_OK)
		return refuse("cannot read the validator key", &why, e);
	nt_pubkey pub;
	nt_seckey_pubkey(key, &pub);
	nt_seckey_free(key);
	v->self = nt_valset_index(&v->g.vals, &pub);
	/* Opening a missing store would create an empty one: nothing to
	 * check H against, and a new folder where the old one should be. */
	struct stat st;
	if (stat(v->cfg.data_dir, &st) != 0) {
		nt_log(NT_LOG_ERROR,
		       "--repair-sign-state: there is no store at %s (%s): restore it from the "
		       "newest backup first; nothing was changed",
		       v->cfg.data_dir, strerror(errno));
		return 1;
	}
	if ((e = nt_kv_leveldb_open(v->cfg.data_dir, &v->kv, &why)) != NT_OK) {
		if (nt_kv_leveldb_in_use(&why))
			nt_log(NT_LOG_ERROR,
			       "--repair-sign-state: the store %s is in use: stop the node first "
			       "(%s)",
			       v->cfg.data_dir, why.msg);
		else
			refuse("cannot open the store", &why, e);
		return 1;
	}
	if ((e = nt_ledger_open(v->kv, &v->g, &v->ledger, &why)) != NT_OK)
		return refuse("cannot open the ledger", &why, e);
	return 0;
}

static int repair(const char *home, home_view *v, uint64_t h)
{
	if (v->self < 0) {
		nt_log(NT_LOG_ERROR,
		       "--repair-sign-state: this node's key is not a validator of the genesis; an "
		       "observer never signs and has no sign-state to repair");
		return 1;
	}
	uint64_t tip = nt_ledger_height(v->ledger);
	if (h < tip) {
		nt_log(NT_LOG_ERROR,
		       "--repair-sign-state: refusing H = %" PRIu64 ": it is below this store's "
		       "height %" PRIu64 ", and this validator may have signed every block it "
		       "holds. Use at least %" PRIu64
		       "; with other validators, the height the network is deciding now "
		       "(\"consensus_height\" of `notary status --json` on another node)",
		       h, tip, tip);
		return 1;
	}
	if (v->g.vals.n == 1 && tip == 0) {
		nt_log(NT_LOG_ERROR,
		       "--repair-sign-state: this is the only validator and its store is empty: "
		       "any H would forbid block 1 forever. If the store lost its blocks, restore "
		       "data/ from a backup first, then repair with H = its height");
		return 1;
	}
	if (v->g.vals.n == 1 && h > tip) {
		nt_log(NT_LOG_ERROR,
		       "--repair-sign-state: refusing H = %" PRIu64 ": this is the only validator "
		       "and its store holds height %" PRIu64 "; it makes block %" PRIu64
		       " itself, which a higher H would forbid forever. Use H = %" PRIu64
		       " (if the store lost blocks, restore it from a backup first)",
		       h, tip, tip + 1, tip);
		return 1;
	}
	char dir[4200], path[4300];
	snprintf(dir, sizeof dir, "%s/consensus", home);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		nt_log(NT_LOG_ERROR, "--repair-sign-state: cannot create %s: %s", dir,
		       strerror(errno));
		return 1;
	}
	snprintf(path, sizeof path, "%s/sign_state", dir);
	nt_why why = {{0}};
	nt_err e = nt_privval_repair(path, h, &why);
	if (e != NT_OK)
		return refuse("not repaired", &why, e);
	if (v->g.vals.n > 1 && h == tip)
		nt_log(NT_LOG_WARN,
		       "--repair-sign-state: with H = the store's height the node may vote again "
		       "at height %" PRIu64 ", where it may have voted before the damage; if the "
		       "other validators can decide without it (4 or more validators), the "
		       "network's consensus_height is the safer H (docs/OPERATIONS.md)",
		       tip + 1);
	nt_log(NT_LOG_INFO,
	       "--repair-sign-state: done; the store holds height %" PRIu64
	       ". Start the node normally: it signs again from height %" PRIu64 "%s",
	       tip, h + 1,
	       h > tip ? ", after it has fetched the blocks it lacks from its peers" : "");
	return 0;
}

int nt_node_repair_sign_state(const char *home, uint64_t h)
{
	home_view v;
	memset(&v, 0, sizeof v);
	int rc = open_home(home, &v);
	if (rc == 0)
		rc = repair(home, &v, h);
	nt_ledger_free(v.ledger);
	nt_kv_close(v.kv);
	nt_config_free(&v.cfg);
	return rc;
}
