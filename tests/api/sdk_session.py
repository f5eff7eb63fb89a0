"""Every operation of the official CompreFace Python SDK, unchanged, against a server; run by
test_compreface_sdk.py with the SDK's own environment (.venv-sdk). Prints one JSON object: each
operation's answer by name.

    python sdk_session.py HOST PORT RECOGNITION_KEY DETECTION_KEY VERIFICATION_KEY PERSON_1 PERSON_2 PERSON_3 GROUP
"""

import json
import sys

from compreface import CompreFace

host, port, recognition_key, detection_key, verification_key, first, second, third, group = sys.argv[1:]
compreface = CompreFace(host, port, {"limit": 0, "det_prob_threshold": 0.5, "prediction_count": 1,
                                     "face_plugins": "age,gender", "status": "true"})
recognition = compreface.init_face_recognition(recognition_key)
subjects = recognition.get_subjects()
faces = recognition.get_face_collection()
answers = {}
answers["subjects.add"] = subjects.add("SDK Person")
answers["subjects.list"] = subjects.list()
answers["subjects.update"] = subjects.update("SDK Person", "SDK Renamed")
answers["faces.add"] = faces.add(first, "SDK Renamed")
answers["faces.add second"] = faces.add(second, "SDK Renamed")
answers["faces.list"] = faces.list()
answers["recognize"] = recognition.recognize(third)
answers["faces.verify"] = faces.verify(third, answers["faces.add"]["image_id"])
answers["faces.delete"] = faces.delete(answers["faces.add second"]["image_id"])
answers["faces.delete_all"] = faces.delete_all("SDK Renamed")
answers["subjects.add temporary"] = subjects.add("Temporary")
answers["subjects.delete"] = subjects.delete("Temporary")
answers["subjects.delete_all"] = subjects.delete_all()
answers["detect"] = compreface.init_face_detection(detection_key).detect(group)
answers["verify"] = compreface.init_face_verification(verification_key).verify(first, second)
print(json.dumps(answers))
