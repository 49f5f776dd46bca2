"""The stand-in node: a TEST DOUBLE of bitcoin-node's Cap'n Proto IPC socket, for our tests only.

It serves Init/ThreadMap/Thread/Echo/Mining/Rpc/Chain over a Unix socket with any of the six schema
variants (``--variant``), with libmultiprocess's observable behaviour (per-connection ThreadMap, one call at
a time per Thread, the exact "no thread specified" failure, UNIMPLEMENTED for ordinals a variant lacks,
aborting on ``Chain.getBlockHash`` with a bad height or on a call after ``destroy``) and a real regtest chain
(genuine genesis, mined blocks with valid proof of work, reorgs by ``invalidate``/``reconsider`` with the node's
chain selection: most work, then first received).

Chain notifications as the pr29409 node sends them (Chain variants): ``Chain.handleNotifications`` returns a
Handler; every block connected or disconnected by ``StandinNode.mine``/``invalidate``/``reconsider`` reaches
the client's ``ChainNotifications`` (``blockConnected``, ``blockDisconnected``, ``updatedBlockTip``) in the
node's order, from a task of its own after the change; ``waitForNotifications`` (and
``waitForNotificationsIfTipChanged``) wait for delivery; ``Handler.disconnect``/``destroy`` or releasing the
Handler ends a registration, and so does a failed callback or the client's connection closing.

What it does NOT do: no P2P, no mempool (no transaction notifications, no ``chainStateFlushed``), no
transaction or block validation, no block templates
(``createNewBlock``/``checkBlock``/``submitBlock`` answer FAILED "... is not supported by the stand-in"),
no RPC that changes the chain (mine and reorg through `StandinNode` or the process's signals), no settings, no real wallet (a fixed wallet ``w`` whose balance
is the mature coinbase subsidies), and ``Rpc.executeRpc`` knows only getblockcount, getblockhash,
getbestblockhash, getblockheader, echo, echojson, help, uptime, stop, listwallets and getbalance (anything
else is -32601 Method not found). Never point a real client at it expecting a node.

Public API: `StandinNode` (``node.py``), `RegtestChain` (``chain.py``), `Faults` (``faults.py``).
Imports nothing of ours except ``bitcoin_rpc_mp.ipc.schemas``, so the double cannot agree with our client.
"""

from bitcoin_rpc_mp.standin.chain import RegtestChain
from bitcoin_rpc_mp.standin.faults import Faults
from bitcoin_rpc_mp.standin.node import StandinNode

__all__ = ["Faults", "RegtestChain", "StandinNode"]
